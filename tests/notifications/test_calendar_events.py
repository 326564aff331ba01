"""Matchmaking events in the brokers' calendar feeds: the organiser's event days as timed
blocks, and the scheduled meetings about a broker's own deals, at the slots' Asia/Shanghai
wall-clock times (TZID and VTIMEZONE), parsed back with icalendar."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from matchmaker.domain import Role
from matchmaker.events import outcomes, scheduling
from matchmaker.events import services as events
from matchmaker.notifications import calendar
from matchmaker.pipeline import services as pipeline
from tests.events.conftest import event_data, session_org, store_match

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date.today() + timedelta(days=30)
HOST = "matchmaker.test"


@dataclass
class Fair:
    organiser: object
    other: object
    event: object
    enterprises: list  # EventParticipant
    institutions: list
    needs: list
    outputs: list


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def feed(app, session, user, language: str = "en") -> tuple[Calendar, bytes]:
    with app.app_context():
        raw = calendar.build_feed(session, user, base_url=f"http://{HOST}", language=language)
    return Calendar.from_ical(raw), raw


def entries(parsed: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def meeting_uid(fair: Fair, need_participant, output_participant) -> str:
    return (f"event-{fair.event.id}-meeting-{need_participant.id}-{output_participant.id}"
            f"@{HOST}")


@pytest.fixture
def fair(db_session, make_broker, make_user, make_need, make_output) -> Fair:
    """A two-day fair organised by a broker: two enterprises and two institutions confirmed,
    three slots on the first day from 9:00 and one on the second at 14:00, every pairing
    confirmed; the schedule is solved but not yet published."""
    organiser, other = make_broker(), make_broker()
    event = events.create_event(db_session, event_data(ends_on=DAY + timedelta(days=1)),
                                actor=organiser)
    for start in (at(DAY, 9), at(DAY, 9, 20), at(DAY, 9, 40)):
        events.add_slot(db_session, event, start, start + timedelta(minutes=20),
                        actor=organiser)
    second = DAY + timedelta(days=1)
    events.add_slot(db_session, event, at(second, 14), at(second, 14, 20), actor=organiser)
    needs, outputs, enterprises, institutions = [], [], [], []
    for _ in range(2):
        ent, inst = make_user(Role.ENTERPRISE), make_user(Role.INSTITUTION)
        needs.append(make_need(owner=ent))
        outputs.append(make_output(owner=inst))
        for user, listing, found in ((ent, needs[-1], enterprises),
                                     (inst, outputs[-1], institutions)):
            p = events.invite_participant(db_session, event, session_org(db_session, user),
                                          actor=organiser, listing_ids=[listing.id])
            found.append(events.confirm_participant(db_session, p, actor=organiser))
    for score, (need, output) in zip((0.9, 0.8, 0.7, 0.6),
                                     [(n, o) for n in needs for o in outputs], strict=True):
        store_match(db_session, need, output, score)
    events.set_event_status(db_session, event, "open", actor=organiser)
    for pairing in scheduling.propose_pairings(db_session, event, actor=organiser):
        scheduling.confirm_pairing(db_session, pairing, actor=organiser)
    scheduling.generate_schedule(db_session, event, actor=organiser)
    return Fair(organiser, other, event, enterprises, institutions, needs, outputs)


def meeting_of(session, fair: Fair, need_participant, output_participant):
    [meeting] = [m for m in scheduling.list_meetings(session, fair.event)
                 if (m.pairing.need_participant_id, m.pairing.output_participant_id)
                 == (need_participant.id, output_participant.id)]
    return meeting


def test_the_organiser_sees_one_timed_block_per_event_day(app, db_session, fair):
    parsed, raw = feed(app, db_session, fair.organiser)
    found = entries(parsed)
    first = found[f"event-{fair.event.id}-{DAY.isoformat()}@{HOST}"]
    assert first.decoded("DTSTART") == at(DAY, 9).replace(tzinfo=SHANGHAI)
    assert first.decoded("DTEND") == at(DAY, 10).replace(tzinfo=SHANGHAI)
    assert first["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(first["SUMMARY"]) == f"Matchmaking event: {fair.event.title}"
    assert str(first["LOCATION"]) == fair.event.place
    assert str(first["URL"]) == f"http://{HOST}/events/{fair.event.id}"
    second_day = DAY + timedelta(days=1)
    second = found[f"event-{fair.event.id}-{second_day.isoformat()}@{HOST}"]
    assert (second.decoded("DTSTART"), second.decoded("DTEND")) == (
        at(second_day, 14).replace(tzinfo=SHANGHAI),
        at(second_day, 14, 20).replace(tzinfo=SHANGHAI))
    # 09:00 in Shanghai is 01:00 UTC, whatever zone the subscriber's calendar is in.
    assert first.decoded("DTSTART").astimezone(ZoneInfo("UTC")).hour == 1
    [zone] = parsed.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Shanghai"
    assert b"DTSTART;TZID=Asia/Shanghai:" in raw


def test_an_online_event_gives_its_link_as_location(app, db_session, fair):
    events.update_event(db_session, fair.event, event_data(
        ends_on=DAY + timedelta(days=1), place="", online_link="https://meeting.example.com/x"),
        actor=fair.organiser)
    found = entries(feed(app, db_session, fair.organiser)[0])
    block = found[f"event-{fair.event.id}-{DAY.isoformat()}@{HOST}"]
    assert str(block["LOCATION"]) == "https://meeting.example.com/x"


def test_draft_and_closed_events_and_other_brokers_events_give_no_block(app, db_session, fair,
                                                                       make_broker):
    draft = events.create_event(db_session, event_data(title="草稿活动"), actor=fair.organiser)
    events.add_slot(db_session, draft, at(DAY, 15), at(DAY, 15, 20), actor=fair.organiser)
    found = entries(feed(app, db_session, fair.organiser)[0])
    assert not any(uid.startswith(f"event-{draft.id}-") for uid in found)
    assert not any(uid.startswith(f"event-{fair.event.id}-")
                   for uid in entries(feed(app, db_session, fair.other)[0]))


def test_meetings_appear_once_the_schedule_is_published_for_the_pairs_deal_owner_only(
        app, db_session, fair, make_deal):
    ent, inst = fair.enterprises, fair.institutions
    make_deal(owner=fair.organiser, need=fair.needs[0], output=fair.outputs[0])
    make_deal(owner=fair.other, need=fair.needs[1], output=fair.outputs[1])
    before = entries(feed(app, db_session, fair.organiser)[0])
    assert meeting_uid(fair, ent[0], inst[0]) not in before  # not published yet
    scheduling.publish_schedule(db_session, fair.event, actor=fair.organiser)
    mine = entries(feed(app, db_session, fair.organiser)[0])
    theirs = entries(feed(app, db_session, fair.other)[0])
    meetings = {uid for uid in mine if "-meeting-" in uid}
    assert meetings == {meeting_uid(fair, ent[0], inst[0])}
    assert {uid for uid in theirs if "-meeting-" in uid} == {meeting_uid(fair, ent[1], inst[1])}
    meeting = meeting_of(db_session, fair, ent[0], inst[0])
    entry = mine[meeting_uid(fair, ent[0], inst[0])]
    assert entry.decoded("DTSTART") == meeting.slot.starts_at.replace(tzinfo=SHANGHAI)
    assert entry.decoded("DTEND") == meeting.slot.ends_at.replace(tzinfo=SHANGHAI)
    assert entry["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(entry["SUMMARY"]) == (f"Meeting: {ent[0].enterprise.name} × "
                                     f"{inst[0].institution.name}")
    assert str(entry["LOCATION"]) == f"Table {meeting.table_no} · {fair.event.place}"


def test_a_closed_deal_of_the_pair_no_longer_brings_its_meeting(app, db_session, fair,
                                                                make_deal):
    deal = make_deal(owner=fair.organiser, need=fair.needs[0], output=fair.outputs[0])
    scheduling.publish_schedule(db_session, fair.event, actor=fair.organiser)
    pipeline.move_deal(db_session, deal, "lost", actor=fair.organiser, lost_reason="other",
                       reason="测试：企业转向其他方案")
    uid = meeting_uid(fair, fair.enterprises[0], fair.institutions[0])
    assert uid not in entries(feed(app, db_session, fair.organiser)[0])


def test_a_meeting_whose_outcome_started_the_brokers_deal_stays_after_the_deal_closes(
        app, db_session, fair):
    """The meeting's deal_id: the deal it started is the broker's even once it is lost."""
    scheduling.publish_schedule(db_session, fair.event, actor=fair.organiser)
    meeting = meeting_of(db_session, fair, fair.enterprises[1], fair.institutions[0])
    deal = outcomes.record_outcome(db_session, meeting, actor=fair.organiser,
                                   outcome="follow_up")
    assert deal.owner_id == fair.organiser.id and meeting.deal_id == deal.id
    pipeline.move_deal(db_session, deal, "lost", actor=fair.organiser, lost_reason="other",
                       reason="测试：企业转向其他方案")
    uid = meeting_uid(fair, fair.enterprises[1], fair.institutions[0])
    assert uid in entries(feed(app, db_session, fair.organiser)[0])
    assert uid not in entries(feed(app, db_session, fair.other)[0])


def test_a_meetings_uid_stays_when_a_re_solve_moves_it(app, db_session, fair, make_deal):
    ent, inst = fair.enterprises, fair.institutions
    make_deal(owner=fair.organiser, need=fair.needs[0], output=fair.outputs[0])
    scheduling.publish_schedule(db_session, fair.event, actor=fair.organiser)
    uid = meeting_uid(fair, ent[0], inst[0])
    before = entries(feed(app, db_session, fair.organiser)[0])[uid]
    moved_from = meeting_of(db_session, fair, ent[0], inst[0]).slot_id
    events.set_blocked_slots(db_session, ent[0], [moved_from], actor=fair.organiser)
    scheduling.generate_schedule(db_session, fair.event, actor=fair.organiser)
    meeting = meeting_of(db_session, fair, ent[0], inst[0])
    assert meeting.slot_id != moved_from
    after = entries(feed(app, db_session, fair.organiser)[0])[uid]
    assert after.decoded("DTSTART") == meeting.slot.starts_at.replace(tzinfo=SHANGHAI)
    assert after.decoded("DTSTART") != before.decoded("DTSTART")
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])

