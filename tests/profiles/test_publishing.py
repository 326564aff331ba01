"""Publishing needs a specific title and a description with substance; drafts may stay short."""
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from matchmaker.domain import PUBLIC_NEED_STATUSES, PUBLIC_OUTPUT_STATUSES, Role
from matchmaker.profiles import services
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.publishing import (
    TEXT_MIN_CHARS,
    TEXT_MIN_TERMS,
    TITLE_MIN_CHARS,
    TITLE_MIN_TERMS,
    Shortfall,
    count_chars,
    count_terms,
    publish_shortfalls,
)
from tests.conftest import submit
from tests.profiles.test_views import NEED_DESCRIPTION, need_form, output_form

SEED = Path(__file__).resolve().parents[2] / "seed_data"


# --- the rule (pure) ----------------------------------------------------------------------

def test_a_one_character_title_and_a_two_character_description_fall_short_everywhere():
    shortfalls = publish_shortfalls("氢", "太短", text_field="description")
    assert shortfalls == [
        Shortfall("title", "chars", TITLE_MIN_CHARS, 1),
        Shortfall("title", "terms", TITLE_MIN_TERMS, 0),
        Shortfall("description", "chars", TEXT_MIN_CHARS, 2),
        Shortfall("description", "terms", TEXT_MIN_TERMS, 1),
    ]
    assert shortfalls[2].missing == TEXT_MIN_CHARS - 2


def test_generic_words_do_not_count_as_specific_terms():
    # 技术 方法 系统 研究 开发 …: long enough, but says nothing a match could use.
    text = "技术方法系统研究开发工艺产品应用项目，技术合作，技术开发，技术指导，设备改造升级，寻求合作，面议详谈。"
    assert count_chars(text) >= TEXT_MIN_CHARS
    assert count_terms(text) < TEXT_MIN_TERMS
    assert [s.measure for s in publish_shortfalls("碱性电解槽复合隔膜", text,
                                                  text_field="abstract")] == ["terms"]


def test_a_specific_listing_is_ready_in_chinese_and_in_english():
    assert publish_shortfalls("氢燃料电池双极板防腐涂层", NEED_DESCRIPTION,
                              text_field="description") == []
    english = ("Metal bipolar plates of our 120 kW fuel cell stacks corrode at 0.6 V; contact "
               "resistance rises after 2000 h. We need a conductive coating for 316L stamped "
               "plates that lasts 5000 h at 80 °C in acidic conditions.")
    assert publish_shortfalls("Corrosion-resistant coating for metal bipolar plates", english,
                              text_field="description") == []


def test_spaces_do_not_count_as_characters():
    assert count_chars("  a b\n c ") == 3


def _seed_records(kind: str):
    for path in sorted((SEED / kind).glob("*.json")):
        yield from json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("kind, text_field, public", [
    ("outputs", "abstract", PUBLIC_OUTPUT_STATUSES), ("needs", "description", PUBLIC_NEED_STATUSES),
])
def test_every_public_seed_record_meets_the_rule(kind, text_field, public):
    records = [r for r in _seed_records(kind) if r["status"] in public]
    assert len(records) > 100
    thin = {r["key"]: publish_shortfalls(r["title"], r[text_field], text_field=text_field)
            for r in records}
    assert {key: found for key, found in thin.items() if found} == {}


def test_open_challenges_are_marked_by_the_flag_not_in_their_titles_or_keywords():
    needs = list(_seed_records("needs"))
    challenges = [n for n in needs if n["is_challenge"]]
    assert len(challenges) >= 10 and all(n["prize"] for n in challenges)
    for need in needs:
        assert "揭榜挂帅" not in need["title"] and "揭榜挂帅" not in need["keywords"]


# --- services -----------------------------------------------------------------------------

def _thin_need(db_session, owner):
    data = services.NeedData(title="氢", description="太短", modes=["licence"])
    return services.create_need(db_session, data, owner=owner)


def test_service_refuses_to_publish_a_thin_need_and_says_what_is_missing(db_session,
                                                                         enterprise):
    need = _thin_need(db_session, enterprise)
    with pytest.raises(services.NotPublishableError) as error:
        services.change_need_status(db_session, need, "published", editor=enterprise)
    assert {(s.field, s.measure) for s in error.value.shortfalls} == {
        ("title", "chars"), ("title", "terms"), ("description", "chars"),
        ("description", "terms")}
    assert need.status == "draft"


def test_service_refuses_to_republish_a_withdrawn_output_that_was_emptied(db_session,
                                                                          institution,
                                                                          make_output):
    output = make_output(owner=institution)
    services.change_output_status(db_session, output, "withdrawn", editor=institution)
    services.update_output(db_session, output, replace(services.output_data(output),
                                                       abstract="待补充"),
                           editor=institution, version=output.version)
    with pytest.raises(services.NotPublishableError):
        services.change_output_status(db_session, output, "published", editor=institution)
    assert output.status == "withdrawn"


def test_other_status_changes_do_not_need_content(db_session, enterprise):
    need = _thin_need(db_session, enterprise)
    services.change_need_status(db_session, need, "closed", editor=enterprise)
    assert need.status == "closed"


@pytest.mark.parametrize("status", ["published", "under_negotiation", "transferred"])
def test_service_refuses_to_edit_a_public_output_down_to_nothing(db_session, institution,
                                                                 make_output, status):
    output = make_output(owner=institution, status=status)
    title, version = output.title, output.version
    with pytest.raises(services.NotPublishableError) as error:
        services.update_output(db_session, output,
                               replace(services.output_data(output), abstract="待补充"),
                               editor=institution, version=version)
    assert {(s.field, s.measure) for s in error.value.shortfalls} == {
        ("abstract", "chars"), ("abstract", "terms")}
    assert (output.title, output.abstract != "待补充", output.version) == (title, True, version)


@pytest.mark.parametrize("status", ["published", "matched", "solved"])
def test_service_refuses_to_edit_a_public_need_down_to_nothing(db_session, enterprise,
                                                               make_need, status):
    need = make_need(owner=enterprise, status=status)
    with pytest.raises(services.NotPublishableError) as error:
        services.update_need(db_session, need, replace(services.need_data(need), title="氢"),
                             editor=enterprise, version=need.version)
    assert {s.field for s in error.value.shortfalls} == {"title"}
    assert need.title != "氢"


def test_service_lets_a_public_listing_be_edited_when_it_keeps_enough_content(
        db_session, enterprise, make_need):
    need = make_need(owner=enterprise)
    services.update_need(db_session, need,
                         replace(services.need_data(need), title=need.title + "（二期）"),
                         editor=enterprise, version=need.version)
    assert need.title.endswith("（二期）") and need.status == "published"


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_service_lets_a_listing_outside_the_market_be_edited_down(db_session, enterprise,
                                                                  make_need, status):
    need = make_need(owner=enterprise, status=status)
    services.update_need(db_session, need,
                         replace(services.need_data(need), title="氢", description="太短"),
                         editor=enterprise, version=need.version)
    assert need.title == "氢"


# --- pages --------------------------------------------------------------------------------

def _new_draft(client, kind, form):
    response = submit(client, f"/{kind}/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_a_thin_draft_is_saved_and_its_page_says_what_publishing_needs(enterprise, sign_in, db_session):
    client = sign_in(enterprise)
    need_id = _new_draft(client, "needs", need_form(title="氢", description="太短"))
    html = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert 'data-testid="publish-blockers"' in html
    assert "标题至少需要 6 个字，还差 5 个" in html
    assert f"需求描述还需至少 {TEXT_MIN_CHARS - 2} 个字说明问题" in html
    assert 'data-testid="status-published" disabled' in html


def test_publishing_a_thin_need_is_refused_with_the_reasons(enterprise, sign_in, db_session):
    client = sign_in(enterprise)
    need_id = _new_draft(client, "needs", need_form(title="氢", description="太短"))
    response = submit(client, f"/needs/{need_id}/status", {"status": "published"},
                      form_url=f"/needs/{need_id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "尚未发布" in html and "标题至少需要 6 个字" in html
    assert db_session.get(TechNeed, need_id).status == "draft"


def test_publishing_a_thin_output_is_refused_in_english_with_the_reasons(institution, sign_in,
                                                                         db_session):
    client = sign_in(institution)
    submit(client, "/auth/locale/en", {"next": "/"}, form_url="/")
    output_id = _new_draft(client, "outputs", output_form(db_session, title="PEM",
                                                           abstract="Too short."))
    response = submit(client, f"/outputs/{output_id}/status", {"status": "published"},
                      form_url=f"/outputs/{output_id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The title needs at least 6 characters: 3 more." in html
    assert "The abstract needs at least 31 more characters about the output." in html
    assert db_session.get(ResearchOutput, output_id).status == "draft"


def test_a_listing_with_enough_content_shows_no_blockers_and_publishes(enterprise, sign_in, db_session):
    client = sign_in(enterprise)
    need_id = _new_draft(client, "needs", need_form())
    html = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert 'data-testid="publish-blockers"' not in html
    submit(client, f"/needs/{need_id}/status", {"status": "published"},
           form_url=f"/needs/{need_id}")
    assert db_session.get(TechNeed, need_id).status == "published"


def test_blockers_are_shown_only_to_those_who_may_publish(enterprise, make_user, sign_in,
                                                         db_session):
    client = sign_in(enterprise)
    need_id = _new_draft(client, "needs", need_form(title="氢", description="太短"))
    assert 'publish-blockers' in sign_in(make_user(Role.ADMIN)).get(
        f"/needs/{need_id}").get_data(True)
    assert sign_in(make_user(Role.BROKER)).get(f"/needs/{need_id}").status_code == 404


def test_open_challenge_shows_the_badge_once(make_need, make_broker, sign_in):
    need = make_need(title="质子交换膜耐久性揭榜攻关", is_challenge=True, prize=Decimal(200))
    client = sign_in(make_broker())
    html = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert html.count('data-testid="challenge-badge"') == 1 and "揭榜挂帅：" not in html
    listing = client.get("/needs/?q=" + need.title[:6]).get_data(as_text=True)
    assert listing.count('data-testid="challenge-badge"') >= 1
    assert "【揭榜挂帅】" not in listing


def test_a_published_need_cannot_be_edited_down_to_nothing(enterprise, make_need, sign_in,
                                                           db_session):
    need = make_need(owner=enterprise)
    title = need.title
    client = sign_in(enterprise)
    form = need_form(title="氢", description="太短", version=str(need.version))
    html = submit(client, f"/needs/{need.id}/edit", form).get_data(as_text=True)
    assert "已发布的信息必须保留足够的内容" in html
    assert 'data-field="title">标题至少需要 6 个字，还差 5 个' in html
    assert 'data-field="description">需求描述还需至少 38 个字说明问题' in html
    db_session.refresh(need)
    assert need.title == title and need.status == "published"


def test_a_draft_may_be_edited_down(enterprise, sign_in, db_session):
    client = sign_in(enterprise)
    need_id = _new_draft(client, "needs", need_form())
    need = db_session.get(TechNeed, need_id)
    form = need_form(title="氢", description="太短", version=str(need.version))
    assert submit(client, f"/needs/{need_id}/edit", form).status_code == 302
    db_session.refresh(need)
    assert need.title == "氢"
