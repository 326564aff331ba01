"""The seed's events, loaded through the services: a held one with outcomes and the deals
they started, a published upcoming one, and one open for registration; loading twice adds
nothing."""
from pathlib import Path

from sqlalchemy import select

from matchmaker.events import outcomes, requests, scheduling
from matchmaker.events.models import Event
from matchmaker.events.seed import load_events
from matchmaker.pipeline import clock
from matchmaker.seed import demo_email

SEED = Path(__file__).resolve().parents[2] / "seed_data"


def _event(session, ref):
    return session.scalar(select(Event).where(Event.ref == ref))


def test_the_held_event_has_outcomes_and_the_deals_they_started(db_session):
    event = _event(db_session, "ev-h2-fuel-cell-2026")
    assert event.status == "held" and event.starts_on < clock.today()
    results = outcomes.event_results(db_session, event)
    assert (results.meetings, results.held, results.positive, results.deals) == (5, 5, 4, 4)
    deals = {m.deal for m in scheduling.list_meetings(db_session, event) if m.deal}
    assert all(d.is_open and d.next_step for d in deals)
    assert {d.ref for d in deals} >= {"deal-h2-011", "deal-h2-013"}  # updated, not doubled


def test_the_upcoming_event_has_a_published_schedule(db_session):
    event = _event(db_session, "ev-pv-silicon-2026")
    assert event.status == "scheduled" and event.starts_on > clock.today()
    meetings = scheduling.list_meetings(db_session, event)
    assert event.published_schedule and len(meetings) == 7  # 6 pairings and 1 request
    assert event.unscheduled == []
    asked = {r.status: r for r in requests.list_requests(db_session, event)}
    assert sorted(asked) == ["accepted", "declined", "pending"]
    accepted = asked["accepted"]
    assert (accepted.need_id, accepted.output_id) in {
        (m.pairing.need_id, m.pairing.output_id) for m in meetings
        if m.pairing.source == "request"}
    assert _event(db_session, "ev-h2-roadshow-2027").status == "open"


def test_loading_the_events_twice_adds_nothing(db_session):
    again = load_events(db_session, SEED, email_of=demo_email)
    assert not again.created and again.updated["events"] == 3
