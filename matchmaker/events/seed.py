"""Load seed_data/events.json through the events' services (the one write path).

Each event's day is relative to the load day (-6: six days ago), so the demo never goes stale.
The organisations taking part are those of the listings an event brings ("brings": need and
output keys); each is invited with its listings and confirmed, the organiser's pairings added,
the participants' meeting requests asked and answered, the schedule solved and published; a held event records its meetings' outcomes (which open or
update deals through the pipeline) at the end of its day. Events are keyed by `key`
(Event.ref): a second load changes nothing. Format: seed_data/README.md, "events.json".
"""
import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.events import outcomes, requests, scheduling, services
from matchmaker.events.models import Event
from matchmaker.pipeline import clock
from matchmaker.profiles.models import ResearchOutput, TechNeed


class EventSeeder:
    """Replay event records; created and updated count what was done."""

    def __init__(self, session: Session, seed_dir: Path, *, email_of, today: date | None = None):
        self.session, self.path = session, Path(seed_dir) / "events.json"
        self.email_of, self.today = email_of, today or clock.today()
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()

    def load(self) -> "EventSeeder":
        if not self.path.is_file():
            return self
        for record in json.loads(self.path.read_text(encoding="utf-8")):
            if self.session.scalar(select(Event.id).where(Event.ref == record["key"])):
                self.updated["events"] += 1
                continue
            self._record(record)
            self.created["events"] += 1
        self.session.flush()
        return self

    def _user(self, key: str) -> User:
        user = self.session.scalar(select(User).where(User.email == self.email_of(key)))
        if user is None:
            raise LookupError(f"seed events: no account for {key!r}")
        return user

    def _listing(self, key: str):
        model = TechNeed if "-n-" in key else ResearchOutput
        row = self.session.scalar(select(model).where(model.ref == key))
        if row is None:
            raise LookupError(f"seed events: no listing {key!r}")
        return row

    def _at(self, day: date, hhmm: str) -> datetime:
        hour, minute = (int(x) for x in hhmm.split(":"))
        return datetime.combine(day, time(hour, minute))

    def _record(self, record: dict) -> None:
        organiser = self._user(record["organiser"])
        day = self.today + timedelta(days=record["day"])
        chain = self.session.scalar(select(Chain).where(Chain.key == record.get("chain")))
        created_at = self._moment(day - timedelta(days=30))
        with clock.at(created_at):
            event = services.create_event(self.session, services.EventData(
                title=record["title"], description=record.get("description", ""),
                starts_on=day, ends_on=day, place=record.get("place", ""),
                online_link=record.get("online_link", ""), chain_id=chain.id if chain else None,
                capacity=record.get("capacity"), tables=record.get("tables", 10),
                is_public=record.get("public", False)), actor=organiser)
            event.ref = record["key"]
            slots = {}
            for label in record["slots"]:
                start, end = label.split("-")
                slots[label] = services.add_slot(self.session, event, self._at(day, start),
                                                 self._at(day, end), actor=organiser)
            services.set_event_status(self.session, event, "open", actor=organiser)
            self._participants(event, record, organiser, slots)
            listings = {key: self._listing(key) for key in record["brings"]}
            self._requests(event, record, listings)
            for need_key, output_key in record["pairings"]:
                scheduling.add_pairing(self.session, event, listings[need_key],
                                       listings[output_key], actor=organiser)
            if record["pairings"]:
                scheduling.generate_schedule(self.session, event, actor=organiser)
            if record["status"] in ("scheduled", "held"):
                scheduling.publish_schedule(self.session, event, actor=organiser)
        if record["status"] == "held":
            with clock.at(self._moment(day, "17:30")):
                services.set_event_status(self.session, event, "held", actor=organiser)
                self._outcomes(event, record, listings)

    def _moment(self, day: date, hhmm: str = "10:00") -> datetime:
        return self._at(day, hhmm).replace(tzinfo=clock.BUSINESS_TZ).astimezone(UTC)

    def _participants(self, event, record, organiser, slots) -> None:
        by_org: dict[str, tuple] = {}
        for key in record["brings"]:
            listing = self._listing(key)
            org = listing.enterprise if isinstance(listing, TechNeed) else listing.institution
            by_org.setdefault(org.ref, (org, []))[1].append(listing.id)
        for ref, (org, ids) in by_org.items():
            participant = services.invite_participant(
                self.session, event, org, actor=organiser, listing_ids=ids,
                booth=record.get("booths", {}).get(ref))
            services.confirm_participant(self.session, participant, actor=organiser)
            blocked = record.get("blocked", {}).get(ref, [])
            if blocked:
                services.set_blocked_slots(self.session, participant,
                                           [slots[label].id for label in blocked],
                                           actor=organiser)

    def _requests(self, event, record, listings) -> None:
        """Participants' meeting requests, asked (and answered) before the schedule is built."""
        for item in record.get("requests", []):
            asker = self._user(item["by"])
            need, output = listings[item["need"]], listings[item["output"]]
            own, theirs = (need, output) if asker.enterprise_id else (output, need)
            req = requests.request_meeting(self.session, event, actor=asker,
                                           own_listing_id=own.id, their_listing_id=theirs.id,
                                           reason=item["reason"])
            if item.get("answer"):
                requests.answer_request(self.session, req, accept=item["answer"] == "accepted",
                                        actor=self._user(item["answered_by"]))

    def _outcomes(self, event, record, listings) -> None:
        meetings = {(m.pairing.need_id, m.pairing.output_id): m
                    for m in scheduling.list_meetings(self.session, event)}
        for item in record.get("outcomes", []):
            need, output = (listings[k] for k in item["pair"])
            meeting = meetings.get((need.id, output.id))
            if meeting is None:
                raise LookupError(f"seed events: {item['pair']} has no meeting")
            outcomes.record_outcome(self.session, meeting, actor=self._user(item["by"]),
                                    outcome=item["outcome"], notes=item.get("notes", ""))


def load_events(session: Session, seed_dir: Path, *, email_of) -> EventSeeder:
    """Load the seed's events (after its deals: outcomes update them); flushed, not committed."""
    return EventSeeder(session, seed_dir, email_of=email_of).load()
