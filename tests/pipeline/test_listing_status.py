"""Deals own a listing's market status: the owner's status buttons say so, and a hand-made
"transferred" or "solved" is refused with the reason, in the user's language."""
from sqlalchemy import select

from matchmaker.domain import NeedStatus, OutputStatus
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.seed import demo_email
from tests.conftest import csrf_token


def _own_published(db_session, model, org_column, key):
    from matchmaker.auth.models import User

    user = db_session.scalar(select(User).where(User.email == demo_email(key)))
    org_id = user.institution_id if model is ResearchOutput else user.enterprise_id
    return db_session.scalar(select(model).where(org_column == org_id,
                                                 model.status == "published"))


def test_an_owner_marking_an_output_transferred_is_told_the_deal_does_it(login_as, db_session):
    output = _own_published(db_session, ResearchOutput, ResearchOutput.institution_id, "qcut")
    client = login_as("qcut")
    page = client.get(f"/outputs/{output.id}").get_data(as_text=True)
    assert 'data-testid="status-by-deals"' in page and "签订技术合同" in page
    assert 'data-testid="status-transferred"' not in page
    token = csrf_token(client, f"/outputs/{output.id}")
    answer = client.post(f"/outputs/{output.id}/status", data={
        "csrf_token": token, "status": "transferred"}, follow_redirects=True)
    assert "由经纪人的项目在登记技术合同" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(ResearchOutput, output.id).status == OutputStatus.PUBLISHED


def test_an_owner_marking_a_need_solved_is_told_so_in_english(login_as, db_session):
    need = db_session.scalars(select(TechNeed).where(TechNeed.status == "published")
                              .order_by(TechNeed.id)).first()
    client = login_as(need.enterprise.ref)
    token = csrf_token(client, f"/needs/{need.id}")
    client.post("/auth/locale/en", data={"csrf_token": token, "next": f"/needs/{need.id}"})
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "“Matched” and “Solved” are set by the broker’s deal" in page
    answer = client.post(f"/needs/{need.id}/status", data={
        "csrf_token": csrf_token(client, f"/needs/{need.id}"), "status": "solved"},
        follow_redirects=True)
    assert "“Solved” is set by the broker’s deal" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(TechNeed, need.id).status == NeedStatus.PUBLISHED
