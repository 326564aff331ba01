"""Landed-project stories and product exhibits: who writes, who sees drafts and published
pieces, links to landed deals, images, and the public pages."""
import io

import pytest
from flask import render_template_string

from matchmaker.domain import Role
from matchmaker.errors import NotFoundError, PermissionDeniedError
from matchmaker.media import labels, stories
from matchmaker.media.models import Story, StoryImage
from matchmaker.media.services import MediaRefusedError, Upload
from tests.conftest import submit
from tests.media.images import PDF, SVG, image_bytes, png_bomb

BODY = "企业引进膜电极技术后建成中试线。\n\n第一年实现量产，产值突破三千万元。"


def data(**overrides) -> stories.StoryData:
    values = {"kind": "story", "title": "Hydrogen stack pilot line 氢能电堆中试线落地",
              "summary": "高校团队的膜电极技术在西咸新区落地。", "body": BODY}
    return stories.StoryData(**{**values, **overrides})


@pytest.fixture
def write(app, db_session):
    """Return write(author, published=False, images=0, **data) -> Story."""
    def make(author, *, published=False, images=0, **overrides):
        with app.app_context():
            story = stories.create_story(db_session, data(**overrides), actor=author)
            for n in range(images):
                stories.add_story_image(db_session, story, Upload(f"p{n}.png", image_bytes()),
                                        alt=f"示意图 {n}", actor=author)
            if published:
                stories.publish_story(db_session, story, actor=author)
        db_session.commit()
        return story
    return make


def status_of(client, url: str) -> int:
    response = client.get(url)
    response.get_data()
    response.close()
    return response.status_code


def url_of(story: Story) -> str:
    return f"/stories/{story.id}-{story.slug}"


# --- who writes and who sees -------------------------------------------------------------------

def test_a_draft_is_seen_only_by_its_broker_and_operators(write, make_user, client, sign_in):
    author = make_user(Role.BROKER)
    story = write(author, images=1)
    image_url = f"/media/story-images/{story.images[0].id}"
    assert status_of(client, url_of(story)) == 404
    assert status_of(client, image_url) == 404
    assert status_of(sign_in(make_user(Role.BROKER)), url_of(story)) == 404
    assert status_of(sign_in(make_user(Role.ENTERPRISE)), url_of(story)) == 404
    assert status_of(sign_in(author), url_of(story)) == 200
    assert status_of(sign_in(author), image_url) == 200
    assert status_of(sign_in(make_user(Role.ADMIN)), url_of(story)) == 200
    assert story.title not in client.get("/stories/").get_data(as_text=True)


def test_a_published_piece_is_public_with_its_images(write, make_user, client):
    story = write(make_user(Role.BROKER), published=True, images=2)
    page = client.get(url_of(story)).get_data(as_text=True)
    assert story.title in page and "第一年实现量产" in page
    assert page.count('class="figure-img') == 2
    assert story.title in client.get("/stories/").get_data(as_text=True)
    response = client.get(f"/media/story-images/{story.images[0].id}/thumb")
    response.close()
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"].startswith("public")
    assert response.headers["Content-Disposition"].startswith("inline; ")


def test_the_story_page_carries_open_graph_tags(write, make_user, client):
    story = write(make_user(Role.BROKER), published=True, images=1)
    page = client.get(url_of(story)).get_data(as_text=True)
    assert f'<meta property="og:title" content="{story.title}">' in page
    assert (f'<meta property="og:image" content="http://matchmaker.test/media/story-images/'
            f'{story.images[0].id}">') in page


def test_paragraphs_are_plain_text(write, make_user, client):
    story = write(make_user(Role.BROKER), published=True,
                  body="<script>alert(1)</script>\n\n<b>第二段</b>")
    page = client.get(url_of(story)).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;b&gt;第二段&lt;/b&gt;" in page
    assert page.count('<p lang="') >= 2


def test_a_wrong_slug_redirects_to_the_canonical_address(write, make_user, client):
    story = write(make_user(Role.BROKER), published=True)
    assert story.slug == "hydrogen-stack-pilot-line"
    for wrong in (f"/stories/{story.id}", f"/stories/{story.id}-old-title"):
        response = client.get(wrong)
        assert response.status_code == 301 and response.location.endswith(url_of(story))


def test_unpublishing_takes_a_piece_off_the_public_pages(app, write, make_user, client,
                                                         db_session):
    author = make_user(Role.BROKER)
    story = write(author, published=True)
    with app.app_context():
        stories.unpublish_story(db_session, story, actor=author)
    db_session.commit()
    assert status_of(client, url_of(story)) == 404


def test_only_its_broker_or_an_operator_edits(app, write, make_user, db_session):
    story = write(make_user(Role.BROKER))
    with pytest.raises(NotFoundError):  # a draft: another broker does not even see it
        stories.update_story(db_session, story, data(title="改"), actor=make_user(Role.BROKER))
    published = write(make_user(Role.BROKER), published=True)
    with pytest.raises(PermissionDeniedError):
        stories.update_story(db_session, published, data(title="改"),
                             actor=make_user(Role.BROKER))
    stories.update_story(db_session, published, data(title="运营修改的标题"),
                         actor=make_user(Role.ADMIN))
    assert published.title == "运营修改的标题"


def test_enterprises_and_institutions_write_no_stories(db_session, make_user):
    for role in (Role.ENTERPRISE, Role.INSTITUTION):
        with pytest.raises(PermissionDeniedError):
            stories.create_story(db_session, data(), actor=make_user(role))


def test_publishing_needs_a_summary_and_a_text(write, make_user, db_session):
    author = make_user(Role.BROKER)
    story = write(author, body="")
    with pytest.raises(MediaRefusedError) as refused:
        stories.publish_story(db_session, story, actor=author)
    assert refused.value.code == "publish_needs_body" and "body" in refused.value.reasons


# --- links ----------------------------------------------------------------------------------

def test_a_story_links_only_a_landed_deal_of_its_broker(db_session, make_user, make_deal):
    broker = make_user(Role.BROKER)
    landed = make_deal(stage_key="landed", owner=broker)
    story = stories.create_story(db_session, data(deal_id=landed.id), actor=broker)
    assert story.deal_id == landed.id
    negotiating = make_deal(stage_key="negotiating", owner=broker)
    with pytest.raises(MediaRefusedError) as refused:
        stories.create_story(db_session, data(deal_id=negotiating.id), actor=broker)
    assert refused.value.code == "deal_not_landed"
    # An exhibit may show a product before its deal has landed.
    exhibit = stories.create_story(db_session, data(kind="exhibit", deal_id=negotiating.id),
                                   actor=broker)
    assert exhibit.deal_id == negotiating.id
    someone_elses = make_deal(stage_key="landed")
    with pytest.raises(MediaRefusedError) as refused:
        stories.create_story(db_session, data(deal_id=someone_elses.id), actor=broker)
    assert refused.value.code == "deal_not_yours"


def test_a_piece_links_only_a_published_output(db_session, make_user, make_output):
    broker = make_user(Role.BROKER)
    with pytest.raises(MediaRefusedError) as refused:
        stories.create_story(db_session, data(output_id=make_output(status="draft").id),
                             actor=broker)
    assert refused.value.code == "output_not_public"


def test_a_bad_slug_is_refused_by_field(db_session, make_user):
    with pytest.raises(MediaRefusedError) as refused:
        stories.create_story(db_session, data(slug="../etc"), actor=make_user(Role.BROKER))
    assert list(refused.value.reasons) == ["slug"]


# --- images ----------------------------------------------------------------------------------

@pytest.mark.parametrize("payload, code", [
    (PDF, "image_expected"), (SVG, "svg"), (png_bomb(), "too_many_pixels")])
def test_story_images_are_images_only(app, write, make_user, db_session, payload, code):
    author = make_user(Role.BROKER)
    story = write(author)
    with app.app_context(), pytest.raises(MediaRefusedError) as refused:
        stories.add_story_image(db_session, story, Upload("x.png", payload), alt="图",
                                actor=author)
    assert refused.value.code == code and list(refused.value.reasons) == ["file"]


def test_images_keep_their_order_and_move(app, write, make_user, db_session):
    author = make_user(Role.BROKER)
    story = write(author, images=3)
    first, second, third = story.images
    stories.move_story_image(db_session, third, up=True, actor=author)
    db_session.refresh(story)
    assert [image.id for image in story.images] == [first.id, third.id, second.id]


def test_the_broker_adds_and_removes_an_image_on_the_editor(app, write, make_user, sign_in,
                                                            db_session, uploads):
    author = make_user(Role.BROKER)
    story = write(author)
    client = sign_in(author)
    edit = f"/stories/{story.id}/edit"
    page = submit(client, f"/stories/{story.id}/images",
                  {"file": (io.BytesIO(image_bytes("JPEG")), "../../etc/passwd.png"),
                   "alt": "中试线全景"}, form_url=edit, content_type="multipart/form-data",
                  follow_redirects=True).get_data(as_text=True)
    image = db_session.query(StoryImage).filter_by(story_id=story.id).one()
    assert 'data-testid="editor-image"' in page and image.original_name == "passwd.png"
    assert image.content_type == "image/jpeg" and image.alt == "中试线全景"
    submit(client, f"/stories/{story.id}/images/{image.id}/delete", {}, form_url=edit)
    assert db_session.query(StoryImage).filter_by(story_id=story.id).count() == 0


def test_an_image_without_alt_text_is_refused_by_field(app, write, make_user, sign_in,
                                                       db_session):
    author = make_user(Role.BROKER)
    story = write(author)
    page = submit(sign_in(author), f"/stories/{story.id}/images",
                  {"file": (io.BytesIO(image_bytes()), "a.png"), "alt": ""},
                  form_url=f"/stories/{story.id}/edit", content_type="multipart/form-data",
                  follow_redirects=True).get_data(as_text=True)
    with app.test_request_context():
        label = str(labels.FIELD["alt"])
    assert label in page
    assert db_session.query(StoryImage).filter_by(story_id=story.id).count() == 0


# --- pages -----------------------------------------------------------------------------------

def test_a_broker_writes_and_publishes_through_the_pages(make_user, sign_in, db_session):
    author = make_user(Role.BROKER)
    client = sign_in(author)
    response = submit(client, "/stories/new", {
        "kind": "exhibit", "title": "Femtosecond laser 飞秒激光加工样机", "summary": "展示样机。",
        "body": BODY, "chain_id": "", "deal_id": "", "output_id": "", "slug": ""})
    assert response.status_code == 302
    story = db_session.query(Story).filter_by(author_id=author.id).one()
    assert story.status == "draft" and story.slug == "femtosecond-laser"
    submit(client, f"/stories/{story.id}/publish", {}, form_url=f"/stories/{story.id}/edit")
    db_session.refresh(story)
    assert story.status == "published" and story.published_at is not None
    assert story.title in client.get("/stories/mine").get_data(as_text=True)


def test_the_showcase_home_block_lists_the_latest_published(app, write, make_user, db_session):
    story = write(make_user(Role.BROKER), published=True, images=1)
    draft = write(make_user(Role.BROKER), title="Unpublished draft 草稿")
    with app.test_request_context("/"):
        html = render_template_string('{{ render_blocks("showcase-home", None) }}')
    assert story.title in html and draft.title not in html
    assert f"/media/story-images/{story.images[0].id}/thumb" in html
