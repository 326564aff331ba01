"""Meeting outcomes: the deals they start or update, who may record them, what the event
page counts."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker import signals
from matchmaker.errors import NotFoundError, PermissionDeniedError
from matchmaker.events import outcomes, scheduling
from matchmaker.events.models import EventMeeting
from matchmaker.events.services import EventRefusedError
from matchmaker.pipeline import services as pipeline
from matchmaker.pipeline.models import Deal
from tests.conftest import submit
from tests.events.test_views import ROLES, client_for
from tests.factories import agree_terms, qualify, sign_contract


@pytest.fixture
def published(db_session, fair):
    w = fair.world
    for p in scheduling.propose_pairings(db_session, w.event, actor=w.organiser):
        scheduling.confirm_pairing(db_session, p, actor=w.organiser)
    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    scheduling.publish_schedule(db_session, w.event, actor=w.organiser)
    fair.meeting = next(m for m in scheduling.list_meetings(db_session, w.event)
                        if m.pairing.need_id == w.need.id and m.pairing.output_id == w.output.id)
    return fair


def _deals(db_session, need, output):
    return db_session.scalars(select(Deal).where(Deal.need_id == need.id,
                                                 Deal.output_id == output.id)).all()


def test_a_positive_outcome_starts_a_deal_owned_by_the_organiser(db_session, published):
    w = published.world
    told = []
    with signals.event_meeting_outcome.connected_to(lambda m, **kw: told.append(kw["outcome"])):
        deal = outcomes.record_outcome(db_session, published.meeting, actor=w.ent_user,
                                       outcome="nda_wanted", notes="双方愿意签保密协议")
    assert deal is not None and deal.owner_id == w.organiser.id and deal.is_open
    assert w.event.title[:20] in deal.next_step and deal.next_step_due > date.today()
    assert published.meeting.deal_id == deal.id and told == ["nda_wanted"]
    assert _deals(db_session, w.need, w.output) == [deal]


def test_a_second_positive_outcome_updates_the_open_deal(db_session, published):
    w = published.world
    first = outcomes.record_outcome(db_session, published.meeting, actor=w.organiser,
                                    outcome="follow_up")
    again = outcomes.record_outcome(db_session, published.meeting, actor=w.inst_user,
                                    outcome="negotiation_started")
    assert again.id == first.id
    assert "谈判" in again.next_step or "Negotiation" in again.next_step
    assert len(_deals(db_session, w.need, w.output)) == 1


def test_an_existing_deal_of_another_broker_is_updated_not_duplicated(
        db_session, published, make_broker):
    w = published.world
    other = make_broker()
    deal = pipeline.create_deal(db_session, actor=other, need=w.need, output=w.output,
                                next_step="电话联系", next_step_due=date.today())
    got = outcomes.record_outcome(db_session, published.meeting, actor=w.ent_user,
                                  outcome="follow_up")
    assert got.id == deal.id and got.owner_id == other.id
    assert got.next_step != "电话联系"


def test_no_interest_starts_no_deal(db_session, published):
    w = published.world
    assert outcomes.record_outcome(db_session, published.meeting, actor=w.ent_user,
                                   outcome="no_interest", notes="方向不符") is None
    assert _deals(db_session, w.need, w.output) == []
    assert published.meeting.notes == "方向不符" and published.meeting.outcome_at is not None


def test_outcome_refusals(db_session, published, fair):
    w = published.world
    with pytest.raises(EventRefusedError) as raised:
        outcomes.record_outcome(db_session, published.meeting, actor=w.ent_user,
                                outcome="great")
    assert raised.value.code == "outcome_unknown"
    with pytest.raises(EventRefusedError) as raised:
        outcomes.record_outcome(db_session, published.meeting, actor=w.ent_user,
                                outcome="follow_up", notes="x" * 5001)
    assert raised.value.code == "notes_too_long"
    with pytest.raises(NotFoundError):
        outcomes.record_outcome(db_session, published.meeting, actor=w.stranger,
                                outcome="follow_up")
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        outcomes.record_outcome(db_session, published.meeting, actor=w.other_broker,
                                outcome="follow_up")
    assert published.meeting.outcome is None


def test_results_count_meetings_deals_and_signed_contracts(db_session, published):
    w = published.world
    deal = outcomes.record_outcome(db_session, published.meeting, actor=w.organiser,
                                   outcome="negotiation_started")
    other = next(m for m in scheduling.list_meetings(db_session, w.event)
                 if m.id != published.meeting.id)
    outcomes.record_outcome(db_session, other, actor=w.organiser, outcome="no_interest")
    qualify(db_session, deal, w.organiser)
    agree_terms(db_session, deal, w.organiser)
    sign_contract(db_session, deal, w.organiser, total_amount=Decimal(320))
    results = outcomes.event_results(db_session, w.event)
    assert (results.meetings, results.held, results.positive, results.deals,
            results.contracts, results.contract_value) == (4, 2, 1, 1, 1, Decimal(320))


@pytest.mark.parametrize("role", ROLES)
def test_meeting_page_and_outcome_only_for_the_two_sides_and_the_organiser(
        db_session, published, client, sign_in, role):
    w = published.world
    url = f"/events/{w.event.id}/meetings/{published.meeting.id}"
    user_client = client_for(role, w, client, sign_in)
    allowed = role in ("participant", "organiser", "operator")
    get = user_client.get(url)
    assert get.status_code == (200 if allowed else 302 if role == "anonymous" else 404)
    response = submit(user_client, url, {"outcome": "follow_up", "notes": "再约"},
                      form_url="/events/")
    db_session.expire_all()
    meeting = db_session.get(EventMeeting, published.meeting.id)
    if allowed:
        assert response.status_code == 302
        assert meeting.outcome == "follow_up" and meeting.deal_id is not None
    else:
        assert response.status_code in (302, 404)
        assert meeting.outcome is None
        assert db_session.scalar(select(func.count()).select_from(Deal).where(
            Deal.need_id == w.need.id, Deal.output_id == w.output.id)) == 0


def test_an_unrelated_participant_cannot_open_anothers_meeting(db_session, published, sign_in,
                                                               make_user):
    w = published.world
    second_enterprise_user = make_user("enterprise", organisation=published.enterprises[1]
                                       .enterprise)
    page = sign_in(second_enterprise_user).get(
        f"/events/{w.event.id}/meetings/{published.meeting.id}")
    assert page.status_code == 404


def test_outcome_form_errors_name_the_field(db_session, published, sign_in):
    w = published.world
    url = f"/events/{w.event.id}/meetings/{published.meeting.id}"
    page = submit(sign_in(w.ent_user), url, {"outcome": ""}, follow_redirects=True)
    assert page.status_code == 200
    assert "请选择洽谈结果。" in page.get_data(as_text=True)


def test_event_page_shows_the_results(db_session, published, sign_in):
    w = published.world
    outcomes.record_outcome(db_session, published.meeting, actor=w.organiser,
                            outcome="follow_up")
    page = sign_in(w.ent_user).get(f"/events/{w.event.id}").get_data(as_text=True)
    assert 'data-testid="results-deals">1<' in page
    assert 'data-testid="results-held">1<' in page
