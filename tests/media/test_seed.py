"""The seed's stories and exhibits: written by their brokers on landed deals, with drawn
images, shown on the public pages; a second load adds nothing."""
from sqlalchemy import func, select

from matchmaker.media import stories
from matchmaker.media.models import Story, StoryImage
from matchmaker.media.seed import load_stories
from matchmaker.seed import demo_email


def test_seeded_stories_link_landed_deals_of_their_authors(db_session):
    seeded = db_session.scalars(select(Story).where(Story.ref.is_not(None))).all()
    assert {s.kind for s in seeded} == {"story", "exhibit"}
    for story in seeded:
        assert story.deal.owner_id == story.author_id
        if story.kind == "story":
            assert stories.has_landed(db_session, story.deal), story.ref
        assert story.images or story.status == "draft"
        assert all(image.content_type == "image/png" and image.width == 1200
                   for image in story.images)


def test_the_public_pages_show_the_published_seed_pieces(db_session, client):
    listing = client.get("/stories/").get_data(as_text=True)
    published = db_session.scalars(select(Story).where(Story.status == "published")).all()
    draft = db_session.scalar(select(Story).where(Story.ref == "story-draft-icv-insulation"))
    assert published and all(story.title in listing for story in published)
    assert draft.status == "draft" and draft.title not in listing
    for story in published:
        page = client.get(f"/stories/{story.id}-{story.slug}")
        assert page.status_code == 200 and story.summary in page.get_data(as_text=True)


def test_a_second_load_adds_nothing(app, db_session):
    before = db_session.scalar(select(func.count(StoryImage.id)))
    with app.app_context():
        again = load_stories(db_session, app.config["SEED_DIR"], email_of=demo_email)
    assert not again.created and again.updated["stories"] == 5
    assert db_session.scalar(select(func.count(StoryImage.id))) == before
