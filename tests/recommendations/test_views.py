"""Match lists on need and output pages: who sees them, freshness, notices and feedback."""
import re

import pytest
from sqlalchemy import func, select, update

from matchmaker import permissions
from matchmaker.domain import Role
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import MatchFeedback
from tests.conftest import submit
from tests.recommendations.conftest import candidates, refresh_matches, scores, user_by_key

OWNER, BROKER, INSTITUTION = "h2-ent-02", "broker-zhangmin", "shri"  # seed keys (matched data)


def _feedback_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(MatchFeedback))


def _feedback_url(need_id: int, output_id: int) -> str:
    return f"/recommendations/needs/{need_id}/outputs/{output_id}/feedback"


# --- the match list and who sees it -------------------------------------------------------

def _assert_full_match_list(html: str) -> None:
    ids, pcts = candidates(html), scores(html)
    assert len(ids) == 10 and len(set(ids)) == 10
    assert len(pcts) == 10 and pcts == sorted(pcts, reverse=True) and pcts[0] > 0
    assert html.count('data-testid="shared-term"') >= 10
    assert html.count('data-testid="components"') == 10
    assert re.search(r'class="progress-bar w-pct-\d+"', html)


def test_broker_sees_ten_ranked_outputs_with_scores_and_shared_terms(login_as, need):
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    _assert_full_match_list(html)
    assert 'data-rule="same_segment"' in html


def test_owning_enterprise_sees_the_recommendations_of_its_need(login_as, need):
    html = login_as(OWNER).get(f"/needs/{need.id}").get_data(as_text=True)
    _assert_full_match_list(html)
    assert 'data-testid="feedback-form"' in html


def test_other_enterprise_and_institution_see_no_recommendations_on_a_need(make_user, sign_in,
                                                                          need):
    for role in (Role.ENTERPRISE, Role.INSTITUTION):
        response = sign_in(make_user(role)).get(f"/needs/{need.id}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and need.title in html
        assert 'data-testid="matches"' not in html and candidates(html) == []


def test_owning_institution_sees_recommended_needs_on_its_output(login_as, db_session, need):
    top = candidates(login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True))[0]
    output = db_session.get(ResearchOutput, top)
    html = login_as(output.institution.ref).get(f"/outputs/{top}").get_data(as_text=True)
    assert 'data-testid="matches"' in html and need.id in candidates(html)
    assert 'data-testid="feedback-summary"' in html
    assert 'data-testid="feedback-form"' not in html  # institutions do not judge matches
    other = "qcut" if output.institution.ref != "qcut" else "xipp"
    html = login_as(other).get(f"/outputs/{top}").get_data(as_text=True)
    assert 'data-testid="matches"' not in html and 'data-testid="feedback-summary"' not in html


def test_rules_and_hints_are_shown_in_chinese_by_default(login_as, need):
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert "同一环节" in html and "共同术语" in html
    assert "Same segment" not in html and "needs a pilot line" not in html


# --- freshness ----------------------------------------------------------------------------

def _fitting_output_form(need: TechNeed) -> dict:
    return {"title": need.title + "的解决方案",
            "abstract": need.description + " 本成果已在同类装置上验证。",
            "keywords": "，".join(need.keywords), "inventors": "王立新", "chain": "hydrogen",
            "segment": str(need.segment_id), "trl": "7", "modes": ["licence"],
            "price_min": "300", "price_max": "500", "reform_status": "none", "patents": ""}


def test_publishing_a_fitting_output_puts_it_in_the_need_recommendations(login_as, db_session,
                                                                        need):
    broker = login_as(BROKER)
    before = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))
    institution = login_as(INSTITUTION)
    response = submit(institution, "/outputs/new", _fitting_output_form(need))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    new_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    html = broker.get(f"/needs/{need.id}").get_data(as_text=True)
    assert new_id not in candidates(html)  # a draft is not recommended
    submit(institution, f"/outputs/{new_id}/status", {"status": "published"},
           form_url=f"/outputs/{new_id}")
    after = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))
    assert after[0] == new_id and new_id not in before


def test_withdrawing_an_output_removes_it_from_recommendations(login_as, db_session, need):
    broker = login_as(BROKER)
    top = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))[0]
    owner = login_as(db_session.get(ResearchOutput, top).institution.ref)
    response = submit(owner, f"/outputs/{top}/status", {"status": "withdrawn"},
                      form_url=f"/outputs/{top}")
    assert response.status_code == 302
    assert db_session.get(ResearchOutput, top).status == "withdrawn"
    assert top not in candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))


def test_editing_an_output_to_fit_a_need_puts_it_in_the_need_recommendations(
        login_as, db_session, need):
    broker = login_as(BROKER)
    before = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))
    output = db_session.scalar(select(ResearchOutput).where(
        ResearchOutput.status == "published", ResearchOutput.ref.startswith("pv-"))
        .order_by(ResearchOutput.id))
    assert output.id not in before
    owner = login_as(output.institution.ref)
    form = _fitting_output_form(need) | {"version": str(output.version)}
    response = submit(owner, f"/outputs/{output.id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    after = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))
    assert after[0] == output.id


# --- odd data -----------------------------------------------------------------------------

def test_thin_need_shows_not_enough_information(app, login_as, db_session, need):
    owner = user_by_key(db_session, OWNER)
    thin = TechNeed(title="氢能技术", description="待定", enterprise=owner.enterprise,
                    status="published", created_by=owner)
    db_session.add(thin)
    refresh_matches(app, db_session)
    html = login_as(OWNER).get(f"/needs/{thin.id}").get_data(as_text=True)
    assert 'data-testid="match-notice"' in html and "信息不足" in html
    assert candidates(html) == [] and 'data-testid="score"' not in html


def test_pages_work_with_no_chain_no_patents_and_nothing_to_match(app, login_as, db_session,
                                                                 need):
    db_session.execute(update(ResearchOutput).values(status="draft"))
    db_session.execute(update(TechNeed).where(TechNeed.id != need.id).values(status="draft"))
    db_session.execute(update(TechNeed).where(TechNeed.id == need.id).values(
        chain_id=None, segment_id=None, version=TechNeed.version + 1))
    refresh_matches(app, db_session)
    html = login_as(OWNER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert 'data-testid="no-matches"' in html and candidates(html) == []
    output = db_session.scalar(select(ResearchOutput).where(~ResearchOutput.patents.any())
                               .order_by(ResearchOutput.id))
    response = login_as(output.institution.ref).get(f"/outputs/{output.id}")
    assert response.status_code == 200
    assert 'data-state="unpublished"' in response.get_data(as_text=True)


# --- feedback -----------------------------------------------------------------------------

def test_feedback_is_stored_and_shown_on_the_match(login_as, db_session, need):
    broker = login_as(BROKER)
    top = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))[0]
    response = submit(broker, _feedback_url(need.id, top),
                      {"verdict": "declined", "reason": "too_early", "comment": "还需中试",
                       "back": "need"}, form_url=f"/needs/{need.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/needs/{need.id}#match-{top}")
    row = db_session.scalar(select(MatchFeedback).where(MatchFeedback.need_id == need.id))
    assert (row.output_id, row.verdict, row.reason, row.comment) == (top, "declined",
                                                                     "too_early", "还需中试")
    html = login_as(OWNER).get(f"/needs/{need.id}").get_data(as_text=True)
    item = html[html.index(f'id="match-{top}"'):]
    item = item[:item.find('<li class="card', 1)]
    assert "技术阶段过早" in item and "还需中试" in item
    assert user_by_key(db_session, BROKER).display_name in item


def test_a_new_verdict_replaces_the_previous_one(login_as, db_session, need):
    owner = login_as(OWNER)
    top = candidates(owner.get(f"/needs/{need.id}").get_data(as_text=True))[0]
    url = _feedback_url(need.id, top)
    submit(owner, url, {"verdict": "declined", "reason": "price"})
    submit(owner, url, {"verdict": "relevant", "reason": "price"})
    rows = db_session.scalars(select(MatchFeedback)).all()
    assert [(r.verdict, r.reason) for r in rows] == [("relevant", None)]


def test_declining_as_other_without_text_is_refused_with_a_message(login_as, db_session, need):
    owner = login_as(OWNER)
    top = candidates(owner.get(f"/needs/{need.id}").get_data(as_text=True))[0]
    response = submit(owner, _feedback_url(need.id, top),
                      {"verdict": "declined", "reason": "other", "comment": "  "},
                      form_url=f"/needs/{need.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'data-field="comment">[^<]*选择“其他”时', html)
    response = submit(owner, _feedback_url(need.id, top), {"verdict": "declined"})
    assert 'data-field="reason"' in response.get_data(as_text=True)
    assert _feedback_count(db_session) == 0


def test_other_enterprise_and_institution_cannot_post_feedback(make_user, make_need,
                                                                make_output, sign_in,
                                                                db_session):
    need, output_id = make_need(), make_output().id
    for role in (Role.ENTERPRISE, Role.INSTITUTION):
        client = sign_in(make_user(role))
        response = submit(client, _feedback_url(need.id, output_id),
                          {"verdict": "relevant"}, form_url="/needs/")
        assert response.status_code == 403
        assert client.get(_feedback_url(need.id, output_id)).status_code == 403
    assert _feedback_count(db_session) == 0


def test_decline_reasons_are_counted_on_the_output_page(login_as, db_session, need):
    broker = login_as(BROKER)
    top = candidates(broker.get(f"/needs/{need.id}").get_data(as_text=True))[0]
    second_need = candidates(broker.get(f"/outputs/{top}").get_data(as_text=True))
    second_need = next(n for n in second_need if n != need.id)
    submit(broker, _feedback_url(need.id, top), {"verdict": "declined", "reason": "price"},
           form_url="/needs/")
    submit(login_as("broker-liuyang"), _feedback_url(second_need, top),
           {"verdict": "declined", "reason": "price"}, form_url="/needs/")
    submit(login_as(OWNER), _feedback_url(need.id, top),
           {"verdict": "declined", "reason": "other", "comment": "已有供应商"}, form_url="/needs/")
    institution = db_session.get(ResearchOutput, top).institution.ref
    html = login_as(institution).get(f"/outputs/{top}").get_data(as_text=True)
    counts = dict(re.findall(r'data-reason="(\w+)">.*?data-testid="decline-count">(\d+)<', html,
                             re.DOTALL))
    assert counts == {"price": "2", "other": "1"}
    assert html.index('data-reason="price"') < html.index('data-reason="other"')


# --- the match block follows permissions -------------------------------------------------

# "owner": the listing's organisation; the roles: an account of another organisation, if any.
VIEWER_ROLES = ("owner", Role.ENTERPRISE, Role.INSTITUTION, Role.BROKER, Role.ADMIN)


def _viewer(role, owner, make_user):
    return owner if role == "owner" else make_user(role)


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_a_need_page_shows_the_match_block_to_who_may_see_its_matches(
        role, make_user, make_need, sign_in):
    owner = make_user(Role.ENTERPRISE)
    need = make_need(owner=owner)
    viewer = _viewer(role, owner, make_user)
    html = sign_in(viewer).get(f"/needs/{need.id}").get_data(as_text=True)
    assert need.title in html
    assert ('data-testid="matches"' in html) is permissions.can(viewer, "see_matches", need)
    assert ('data-testid="matches"' in html) is (role in ("owner", Role.BROKER, Role.ADMIN))


@pytest.mark.parametrize("role", VIEWER_ROLES)
def test_an_output_page_shows_matches_and_feedback_summary_to_who_may_see_them(
        role, make_user, make_output, sign_in):
    owner = make_user(Role.INSTITUTION)
    output = make_output(owner=owner)
    viewer = _viewer(role, owner, make_user)
    html = sign_in(viewer).get(f"/outputs/{output.id}").get_data(as_text=True)
    may = permissions.can(viewer, "see_matches", output)
    assert may is (role in ("owner", Role.BROKER, Role.ADMIN))  # not other organisations
    assert ('data-testid="matches"' in html) is may
    assert ('data-testid="feedback-summary"' in html) is may


# --- the cards each process keeps --------------------------------------------------------------

def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


def test_cards_drawn_once_are_kept_and_drawn_again_when_what_they_show_changes(
        login_as, db_session, need, monkeypatch):
    from matchmaker.recommendations import views
    monkeypatch.setattr(views, "_card_cache", {})
    broker = login_as(BROKER)
    first = broker.get(f"/needs/{need.id}").get_data(as_text=True)
    assert len(views._card_cache) == 10
    kept = dict(views._card_cache)
    again = broker.get(f"/needs/{need.id}").get_data(as_text=True)
    # CSRF tokens carry a timestamp in seconds: compare the pages without them.
    assert _without_csrf(again) == _without_csrf(first)
    assert views._card_cache == kept  # the second view drew nothing new

    top = db_session.get(ResearchOutput, candidates(first)[0])
    top.title = "质子交换膜电解槽膜电极（改版）"
    db_session.commit()  # a new version of the candidate
    html = broker.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "质子交换膜电解槽膜电极（改版）" in html and len(views._card_cache) == 11

    submit(broker, "/auth/locale/en", {"next": f"/needs/{need.id}"}, form_url=f"/needs/{need.id}")
    english = broker.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Shared terms:" in english and "共同术语" not in english
    assert len(views._card_cache) == 21 and candidates(english) == candidates(html)


def test_the_kept_cards_never_pass_their_limit(login_as, need, monkeypatch):
    from matchmaker.recommendations import views
    monkeypatch.setattr(views, "_card_cache", {})
    monkeypatch.setattr(views, "CARD_CACHE_MAX", 4)
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert len(candidates(html)) == 10 and 1 <= len(views._card_cache) <= 4
