"""Load seed_data/contact_requests.json through showcase.contact (the one write path).

Each request is a visitor's message about a public listing (by its seed key), stored and routed
to the broker on duty for the listing's chain as a real one would be, dated `day` days before
the load day; one with a `handled_day` is marked handled by its broker then. A request already
stored (same listing, sender and message) is kept: a second load changes nothing. Format:
seed_data/README.md, "contact_requests.json".
"""
import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.pipeline import clock
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.showcase import contact
from matchmaker.showcase.models import ContactRequest


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=clock.BUSINESS_TZ).astimezone(UTC)


def load_contact_requests(session: Session, seed_dir: Path,
                          today: date | None = None) -> Counter:
    """Load the seed's contact requests (after the listings and brokers); flushed only.
    Return how many were created and kept."""
    path, today = Path(seed_dir) / "contact_requests.json", today or clock.today()
    counts: Counter[str] = Counter()
    if not path.is_file():
        return counts
    for record in json.loads(path.read_text(encoding="utf-8")):
        model = TechNeed if "-n-" in record["listing"] else ResearchOutput
        listing = session.scalar(select(model).where(model.ref == record["listing"]))
        if listing is None:
            raise LookupError(f"seed contact requests: no listing {record['listing']!r}")
        if session.scalar(select(ContactRequest.id).where(
                ContactRequest.side == str(listing.side), ContactRequest.item_id == listing.id,
                ContactRequest.name == record["name"],
                ContactRequest.message == record["message"])):
            counts["kept"] += 1
            continue
        with clock.at(_moment(today + timedelta(days=record["day"]))):
            request = contact.create_contact_request(session, listing, contact.ContactData(
                name=record["name"], organisation=record.get("organisation", ""),
                email=record.get("email", ""), phone=record.get("phone", ""),
                message=record["message"]), ip_hash="")
        request.created_at = request.consent_at = _moment(today + timedelta(days=record["day"]))
        if record.get("handled_day") is not None and request.broker is not None:
            contact.mark_contact_request_handled(session, request, actor=request.broker)
            request.handled_at = _moment(today + timedelta(days=record["handled_day"]))
        counts["created"] += 1
    session.flush()
    return counts
