"""The seed's contact requests: routed to a broker on duty for their listing's chain, one
handled, the rest open on the brokers' today pages; loading twice adds nothing."""
import json
from pathlib import Path

from sqlalchemy import select

from matchmaker.showcase.models import ContactRequest
from matchmaker.showcase.seed import load_contact_requests

SEED = Path(__file__).resolve().parents[2] / "seed_data"
RECORDS = json.loads((SEED / "contact_requests.json").read_text(encoding="utf-8"))


def _stored(db_session, record) -> ContactRequest:
    return db_session.scalar(select(ContactRequest).where(
        ContactRequest.name == record["name"], ContactRequest.message == record["message"]))


def test_each_seed_request_is_stored_routed_and_dated(db_session):
    for record in RECORDS:
        row = _stored(db_session, record)
        assert row is not None, record["key"]
        assert row.broker is not None and row.broker.role == "broker"
        assert row.chain_id is not None
        assert row.broker.broker.chains and row.chain_id in {
            c.id for c in row.broker.broker.chains}  # on duty for the listing's chain
        assert row.status == ("handled" if record.get("handled_day") is not None else "open")


def test_loading_the_requests_twice_adds_nothing(db_session):
    again = load_contact_requests(db_session, SEED)
    assert again["created"] == 0 and again["kept"] == len(RECORDS)


def test_a_broker_finds_an_open_seed_request_on_the_today_page(db_session, login_as):
    row = _stored(db_session, RECORDS[0])
    page = login_as(row.broker.email.split("@")[0]).get("/deals/today").get_data(as_text=True)
    assert row.message in page
