"""Meeting requests between participants: asked with a reason, accepted into the schedule's
first tier or declined, each side told; the refusals, and who may see and answer what."""
import re

import pytest
from sqlalchemy import func, select, update

from matchmaker.auth.models import User
from matchmaker.errors import NotFoundError, PermissionDeniedError
from matchmaker.events import requests, scheduling, services
from matchmaker.events.models import EventMeetingRequest, EventPairing
from matchmaker.events.services import EventRefusedError
from matchmaker.notifications.models import Notification
from matchmaker.notifications.rules import Kind
from matchmaker.recommendations.models import StoredMatch
from tests.conftest import submit


def _told(db_session, kind: Kind) -> dict[int, Notification]:
    return {n.recipient_id: n for n in db_session.scalars(
        select(Notification).where(Notification.kind == str(kind)))}


def _members(db_session, participant) -> set[int]:
    column, org = ((User.institution_id, participant.institution_id)
                   if participant.institution_id else
                   (User.enterprise_id, participant.enterprise_id))
    return set(db_session.scalars(select(User.id).where(column == org)))


def _ask(db_session, fair, *, need=0, output=1, reason="想了解贵方电解槽的中试条件"):
    """Enterprise `need` asks the institution bringing output `output`."""
    user = fair.world.ent_user if need == 0 else _member(db_session, fair.enterprises[1])
    return requests.request_meeting(db_session, fair.world.event, actor=user,
                                    own_listing_id=fair.needs[need].id,
                                    their_listing_id=fair.outputs[output].id, reason=reason)


def _count(db_session, model, fair) -> int:
    return db_session.scalar(select(func.count(model.id)).where(
        model.event_id == fair.world.event.id))


def _member(db_session, participant) -> User:
    return db_session.get(User, min(_members(db_session, participant)))


def test_a_request_tells_the_asked_side_only(db_session, fair):
    req = _ask(db_session, fair)
    assert (req.status, req.requester_id, req.recipient_id) == (
        "pending", fair.enterprises[0].id, fair.institutions[1].id)
    assert (req.need_id, req.output_id) == (fair.needs[0].id, fair.outputs[1].id)
    told = _told(db_session, Kind.MEETING_REQUESTED)
    assert set(told) == _members(db_session, fair.institutions[1])
    message = next(iter(told.values()))
    assert message.params["reason"] == "想了解贵方电解槽的中试条件"
    assert message.params["listing"] == fair.outputs[1].title
    assert message.link_args == {"event_id": fair.world.event.id}
    # Nothing is a pairing until the other side says yes.
    assert _count(db_session, EventPairing, fair) == 0


def test_an_accepted_request_is_scheduled_before_a_better_scoring_matcher_pair(db_session,
                                                                              fair):
    w = fair.world
    # The first enterprise has room for one meeting; the matcher likes output 0 best (0.9).
    services.set_participant_terms(db_session, fair.enterprises[0], actor=w.organiser,
                                   max_meetings=1, booth=None)
    for pairing in scheduling.propose_pairings(db_session, w.event, actor=w.organiser):
        scheduling.confirm_pairing(db_session, pairing, actor=w.organiser)
    req = _ask(db_session, fair, need=0, output=1)
    asked = _member(db_session, fair.institutions[1])
    requests.answer_request(db_session, req, accept=True, actor=asked)

    pairing = db_session.scalar(select(EventPairing).where(
        EventPairing.need_id == fair.needs[0].id, EventPairing.output_id == fair.outputs[1].id))
    assert (pairing.source, pairing.is_confirmed) == ("request", True)
    assert db_session.scalar(select(func.count(EventPairing.id)).where(
        EventPairing.need_id == fair.needs[0].id,
        EventPairing.output_id == fair.outputs[1].id)) == 1  # upgraded, not duplicated
    assert (req.status, req.answered_by_id) == ("accepted", asked.id)

    scheduling.generate_schedule(db_session, w.event, actor=w.organiser)
    met = {(m.pairing.need_id, m.pairing.output_id)
           for m in scheduling.list_meetings(db_session, w.event)}
    assert (fair.needs[0].id, fair.outputs[1].id) in met
    assert (fair.needs[0].id, fair.outputs[0].id) not in met

    accepted = _told(db_session, Kind.MEETING_ACCEPTED)
    assert set(accepted) == _members(db_session, fair.enterprises[0]) | {w.organiser.id}


def test_a_declined_request_tells_the_asking_side_and_makes_no_pairing(db_session, fair):
    req = _ask(db_session, fair)
    requests.answer_request(db_session, req, accept=False,
                            actor=_member(db_session, fair.institutions[1]))
    assert req.status == "declined"
    assert set(_told(db_session, Kind.MEETING_DECLINED)) == _members(db_session,
                                                                     fair.enterprises[0])
    assert not _told(db_session, Kind.MEETING_ACCEPTED)
    assert _count(db_session, EventPairing, fair) == 0
    with pytest.raises(EventRefusedError) as refused:  # asked once per pair
        _ask(db_session, fair)
    assert refused.value.code == "request_exists"


def test_an_institution_asks_an_enterprise_too(db_session, fair):
    req = requests.request_meeting(db_session, fair.world.event, actor=fair.world.inst_user,
                                   own_listing_id=fair.outputs[0].id,
                                   their_listing_id=fair.needs[1].id, reason="我们有现成样机")
    assert (req.requester_id, req.recipient_id) == (fair.institutions[0].id,
                                                    fair.enterprises[1].id)
    assert (req.need_id, req.output_id) == (fair.needs[1].id, fair.outputs[0].id)


@pytest.mark.parametrize(("change", "code"), [
    ({"reason": "  "}, "reason_required"),
    ({"reason": "长" * 301}, "reason_too_long"),
    ({"own": "other_need"}, "request_listing_not_brought"),
    ({"their": "a_need"}, "request_listing_not_brought"),
    ({"their": "unknown"}, "request_listing_not_brought"),
])
def test_a_bad_request_is_refused_with_the_field_to_fix(db_session, fair, change, code):
    own, their = fair.needs[0].id, fair.outputs[1].id
    if change.get("own") == "other_need":
        own = fair.needs[1].id  # the other enterprise's
    if change.get("their") == "a_need":
        their = fair.needs[1].id  # same side: enterprises do not meet each other
    if change.get("their") == "unknown":
        their = 999_999
    with pytest.raises(EventRefusedError) as refused:
        requests.request_meeting(db_session, fair.world.event, actor=fair.world.ent_user,
                                 own_listing_id=own, their_listing_id=their,
                                 reason=change.get("reason", "理由"))
    assert refused.value.code == code
    assert _count(db_session, EventMeetingRequest, fair) == 0


def test_only_confirmed_participants_of_an_open_event_ask(db_session, fair, make_user):
    w = fair.world
    services.decline_participant(db_session, fair.enterprises[0], actor=w.organiser)
    with pytest.raises(EventRefusedError) as refused:
        _ask(db_session, fair)
    assert refused.value.code == "not_confirmed"
    with pytest.raises(EventRefusedError) as refused:
        requests.request_meeting(db_session, w.event, actor=w.stranger, own_listing_id=1,
                                 their_listing_id=fair.outputs[0].id, reason="x")
    assert refused.value.code == "not_confirmed"
    services.set_event_status(db_session, w.event, "closed", actor=w.organiser)
    with pytest.raises(EventRefusedError) as refused:
        _ask(db_session, fair, need=1)
    assert refused.value.code == "requests_closed"


def test_who_answers_withdraws_and_sees(db_session, fair):
    w = fair.world
    req = _ask(db_session, fair, need=0, output=0)  # asked of the world's institution
    with pytest.raises(PermissionDeniedError):  # the asking side does not answer itself
        requests.answer_request(db_session, req, accept=True, actor=w.ent_user)
    with pytest.raises(PermissionDeniedError):  # nor does the organiser answer for them
        requests.answer_request(db_session, req, accept=True, actor=w.organiser)
    with pytest.raises(PermissionDeniedError):  # the asked side declines, never withdraws
        requests.withdraw_request(db_session, req, actor=w.inst_user)
    for outsider in (w.stranger, w.other_broker, _member(db_session, fair.institutions[1])):
        with pytest.raises(NotFoundError):
            requests.get_request(db_session, w.event, req.id, viewer=outsider)
    for insider in (w.ent_user, w.inst_user, w.organiser, w.operator):
        assert requests.get_request(db_session, w.event, req.id, viewer=insider) is req

    requests.withdraw_request(db_session, req, actor=w.ent_user)
    assert req.status == "withdrawn"
    with pytest.raises(EventRefusedError) as refused:
        requests.answer_request(db_session, req, accept=True, actor=w.inst_user)
    assert refused.value.code == "request_answered"
    assert not _told(db_session, Kind.MEETING_ACCEPTED)


def test_accepting_needs_the_asking_side_still_confirmed(db_session, fair):
    req = _ask(db_session, fair)
    services.decline_participant(db_session, fair.enterprises[0], actor=fair.world.organiser)
    with pytest.raises(EventRefusedError) as refused:
        requests.answer_request(db_session, req, accept=True,
                                actor=_member(db_session, fair.institutions[1]))
    assert refused.value.code == "other_not_confirmed"
    assert req.status == "pending"


def test_each_participant_lists_only_its_own_requests(db_session, fair):
    first = _ask(db_session, fair, need=0, output=0)
    second = _ask(db_session, fair, need=1, output=1)
    assert requests.list_requests(db_session, fair.world.event,
                                  fair.institutions[0]) == [first]
    assert requests.list_requests(db_session, fair.world.event,
                                  fair.enterprises[1]) == [second]
    assert requests.list_requests(db_session, fair.world.event) == [second, first]


# --- the pages ---------------------------------------------------------------------------------

def test_the_event_page_asks_answers_and_shows_each_side_its_own(db_session, fair, sign_in):
    w = fair.world
    url = f"/events/{w.event.id}"
    ent = sign_in(w.ent_user)
    # Signing in commits, and the sync job runner may rescore the new listings (whose
    # factory titles tie): set the two scores the order below is about.
    for output, score in ((fair.outputs[0], 0.4), (fair.outputs[1], 0.3)):
        db_session.execute(update(StoredMatch).where(
            StoredMatch.need_id == fair.needs[0].id, StoredMatch.output_id == output.id)
            .values(score=score))
    db_session.commit()
    page = ent.get(url).get_data(as_text=True)
    assert 'data-testid="request-form"' in page
    # The other side's listings are offered, the best match for ours first.
    offered = re.search(r'<select[^>]*name="their_listing".*?</select>', page, re.DOTALL).group(0)
    assert re.findall(r'value="(\d+)"', offered) == [str(fair.outputs[0].id),
                                                     str(fair.outputs[1].id)]

    response = submit(ent, f"{url}/requests", {
        "their_listing": str(fair.outputs[0].id), "own_listing": str(fair.needs[0].id),
        "reason": "希望当面了解样机参数"}, form_url=url)
    assert response.status_code == 302
    req = db_session.scalar(select(EventMeetingRequest).where(
        EventMeetingRequest.event_id == w.event.id))
    assert (req.reason, req.requested_by_id) == ("希望当面了解样机参数", w.ent_user.id)

    inst = sign_in(w.inst_user)
    page = inst.get(url).get_data(as_text=True)
    assert 'data-testid="incoming-requests"' in page and "希望当面了解样机参数" in page
    other_inst = sign_in(_member(db_session, fair.institutions[1]))
    assert "希望当面了解样机参数" not in other_inst.get(url).get_data(as_text=True)

    # Another organisation cannot answer it, even by posting directly.
    response = submit(other_inst, f"{url}/requests/{req.id}/accept", {}, form_url=url)
    assert response.status_code == 404
    db_session.expire_all()
    assert db_session.get(EventMeetingRequest, req.id).status == "pending"

    response = submit(inst, f"{url}/requests/{req.id}/accept", {}, form_url=url)
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(EventMeetingRequest, req.id).status == "accepted"
    organiser_page = sign_in(w.organiser).get(url).get_data(as_text=True)
    assert 'data-testid="all-requests"' in organiser_page


def test_a_bad_request_form_says_what_is_wrong_in_chinese(db_session, fair, sign_in):
    w = fair.world
    url = f"/events/{w.event.id}"
    ent = sign_in(w.ent_user)
    response = submit(ent, f"{url}/requests", {
        "their_listing": str(fair.outputs[0].id), "own_listing": str(fair.needs[0].id),
        "reason": ""}, form_url=url, follow_redirects=True,
        headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200
    assert _count(db_session, EventMeetingRequest, fair) == 0
    page = response.get_data(as_text=True)
    assert "请用一句话说明为什么想见面" in page
