"""Public profile pages of institutions, enterprises and brokers."""
from sqlalchemy import select

from matchmaker.auth.models import Broker
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.profiles.models import ResearchOutput


def test_institution_page_lists_its_published_outputs_only(login_as, db_session):
    org = db_session.scalar(select(Institution).where(Institution.ref == "shri"))
    outputs = db_session.scalars(select(ResearchOutput).where(
        ResearchOutput.institution_id == org.id)).all()
    page = login_as("h2-ent-01").get(f"/institutions/{org.id}").get_data(as_text=True)
    assert org.name in page and org.name_en in page
    for output in outputs:
        visible = output.status in ("published", "under_negotiation", "transferred")
        assert (output.title in page) == visible, output.title


def test_enterprise_page_shows_tier_region_and_needs(login_as, db_session):
    org = db_session.scalar(select(Enterprise).where(Enterprise.ref == "h2-ent-01"))
    page = login_as("qcut").get(f"/enterprises/{org.id}").get_data(as_text=True)
    assert org.name in page and org.region.name in page
    assert "高新技术企业" in page or "专精特新" in page or "科技型中小企业" in page or "瞪羚" in page \
        or "链主" in page or "独角兽" in page


def test_broker_list_and_profile_show_the_six_competencies(login_as, db_session):
    client = login_as("h2-ent-01")
    page = client.get("/brokers").get_data(as_text=True)
    assert "张敏" in page and "懂资本" in page
    broker = db_session.scalar(select(Broker).where(Broker.certificate_no == "SNJJ-2023-0117"))
    profile = client.get(f"/brokers/{broker.id}").get_data(as_text=True)
    assert "SNJJ-2023-0117" in profile and "氢能" in profile
    assert profile.count('class="competency on"') == sum(broker.competencies.values())


def test_profile_pages_need_sign_in_and_unknown_ids_give_404(client, login_as):
    assert client.get("/brokers").status_code == 302
    signed_in = login_as("qcut")
    assert signed_in.get("/institutions/999999").status_code == 404
    assert signed_in.get("/enterprises/999999").status_code == 404
