"""Profile pages of institutions, enterprises and brokers: public, with what anonymous
visitors may and may not see."""
import re

from sqlalchemy import select

from matchmaker.auth.models import Broker, User
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.profiles.models import ResearchOutput, TechNeed
from tests.conftest import submit

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def institution(db_session, ref: str) -> Institution:
    return db_session.scalar(select(Institution).where(Institution.ref == ref))


def enterprise(db_session, ref: str) -> Enterprise:
    return db_session.scalar(select(Enterprise).where(Enterprise.ref == ref))


def zhangmin(db_session) -> Broker:
    return db_session.scalar(select(Broker).where(Broker.certificate_no == "SNJJ-2023-0117"))


def test_institution_page_lists_its_published_outputs_only(login_as, db_session):
    org = institution(db_session, "shri")
    outputs = db_session.scalars(select(ResearchOutput).where(
        ResearchOutput.institution_id == org.id)).all()
    page = login_as("h2-ent-01").get(f"/institutions/{org.id}").get_data(as_text=True)
    assert org.name in page and org.name_en in page
    for output in outputs:
        visible = output.status in ("published", "under_negotiation", "transferred")
        assert (output.title in page) == visible, output.title


def test_enterprise_page_shows_tier_region_and_needs(login_as, db_session):
    org = enterprise(db_session, "h2-ent-01")
    page = login_as("qcut").get(f"/enterprises/{org.id}").get_data(as_text=True)
    assert org.name in page and org.region.name in page
    assert "高新技术企业" in page or "专精特新" in page or "科技型中小企业" in page or "瞪羚" in page \
        or "链主" in page or "独角兽" in page


def test_broker_list_and_profile_show_the_six_competencies(login_as, db_session):
    client = login_as("h2-ent-01")
    page = client.get("/brokers").get_data(as_text=True)
    assert "张敏" in page and "懂资本" in page
    broker = zhangmin(db_session)
    profile = client.get(f"/brokers/{broker.id}").get_data(as_text=True)
    assert "SNJJ-2023-0117" in profile and "氢能" in profile
    assert profile.count('class="competency on"') == sum(broker.competencies.values())


def test_unknown_ids_give_404(client):
    for url in ("/institutions/999999", "/enterprises/999999", "/brokers/999999"):
        assert client.get(url).status_code == 404, url


# --- anonymous visitors -----------------------------------------------------------------------

def test_anyone_sees_an_institution_without_drafts_withdrawn_items_or_e_mail(client, db_session):
    org = institution(db_session, "qcut")
    response = client.get(f"/institutions/{org.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert org.name in page and org.region.name in page and "高校" in page
    if org.description:
        assert org.description in page
    outputs = db_session.scalars(select(ResearchOutput).where(
        ResearchOutput.institution_id == org.id)).all()
    assert {o.status for o in outputs} >= {"draft", "withdrawn", "published"}
    for output in outputs:
        visible = output.status in ("published", "under_negotiation", "transferred")
        assert (output.title in page) == visible, (output.title, output.status)
    assert not EMAIL.search(page)
    assert "登录后可查看每条成果或需求的详情" in page


def test_anyone_sees_an_enterprise_with_its_open_needs_only(client, login_as, db_session):
    org = enterprise(db_session, "pv-ent-04")
    needs = db_session.scalars(select(TechNeed).where(TechNeed.enterprise_id == org.id)).all()
    assert {n.status for n in needs} >= {"draft", "solved", "published"}
    page = client.get(f"/enterprises/{org.id}").get_data(as_text=True)
    assert org.name in page and org.region.name in page and "征集中的技术需求" in page
    for need in needs:
        assert (need.title in page) == (need.status in ("published", "matched")), need.status
    assert not EMAIL.search(page)
    member_view = login_as("qcut").get(f"/enterprises/{org.id}").get_data(as_text=True)
    solved = next(n for n in needs if n.status == "solved")
    assert solved.title in member_view  # signed-in users also see solved needs


def test_listing_details_still_need_sign_in(client, db_session):
    org = institution(db_session, "qcut")
    output = db_session.scalar(select(ResearchOutput).where(
        ResearchOutput.institution_id == org.id, ResearchOutput.status == "published"))
    page = client.get(f"/institutions/{org.id}").get_data(as_text=True)
    assert f'href="/outputs/{output.id}"' in page
    response = client.get(f"/outputs/{output.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_anyone_sees_brokers_without_certificate_numbers_or_e_mail(client, db_session):
    broker = zhangmin(db_session)
    listing = client.get("/brokers").get_data(as_text=True)
    profile = client.get(f"/brokers/{broker.id}").get_data(as_text=True)
    for page in (listing, profile):
        assert "张敏" in page and broker.organisation in page and "氢能" in page
        assert "SNJJ-2023-0117" not in page and not EMAIL.search(page)
    assert broker.bio[:20] in profile
    assert profile.count('class="competency on"') == sum(broker.competencies.values())
    assert 'href="/brokers"' in client.get("/").get_data(as_text=True)  # in the menu


def test_brokers_whose_account_is_not_active_are_not_shown(client, db_session):
    broker = zhangmin(db_session)
    user = db_session.get(User, broker.user_id)
    user.status = "disabled"
    db_session.flush()
    assert "张敏" not in client.get("/brokers").get_data(as_text=True)
    assert client.get(f"/brokers/{broker.id}").status_code == 404


def test_region_names_are_in_english_in_english_mode(client, db_session):
    org = institution(db_session, "shri")
    submit(client, "/auth/locale/en", {"next": "/"}, form_url="/")
    page = client.get(f"/institutions/{org.id}").get_data(as_text=True)
    assert "Xixian New Area" in page and "西咸新区" not in page
    ent = enterprise(db_session, "h2-ent-01")
    page = client.get(f"/enterprises/{ent.id}").get_data(as_text=True)
    assert ent.region.name_en.replace("'", "&#39;") in page
