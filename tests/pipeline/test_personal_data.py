"""The personal-data export includes what a person did in the pipeline, and nobody else's."""
import json

from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.pipeline.models import Activity, Deal
from matchmaker.seed import demo_email
from tests.conftest import login


def test_a_brokers_export_lists_their_deals_and_activities(client, db_session):
    login(client, "broker-zhangmin")
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    me = db_session.scalar(select(User).where(User.email == demo_email("broker-zhangmin")))
    owned = db_session.scalars(select(Deal.id).where(Deal.owner_id == me.id)).all()
    written = db_session.scalars(select(Activity.id).where(Activity.author_id == me.id)).all()
    assert sorted(d["id"] for d in data["deals_owned"]) == sorted(owned) and owned
    assert len(data["deal_activities"]) == len(written) and written
    assert data["introduction_requests"] == []


def test_an_enterprises_export_lists_its_comments_and_introduction_requests(client,
                                                                            db_session):
    from matchmaker.pipeline.models import IntroductionRequest

    request = db_session.scalars(select(IntroductionRequest).order_by(IntroductionRequest.id)
                                 ).first()
    asker = request.requested_by
    login(client, asker.email.split("@")[0])
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    assert request.need_id in [r["need_id"] for r in data["introduction_requests"]]
    assert data["deals_owned"] == []
    assert all(a["kind"] in ("comment", "note") for a in data["deal_activities"])
