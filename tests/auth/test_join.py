"""Joining an organisation already on the platform is explicit: a sign-up naming it (exactly
or as a look-alike) asks to join, and a member or an operator decides; nobody is attached
silently, and an unresolved request blocks approval."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from matchmaker.auth.models import JoinRequest, User
from matchmaker.orgs.models import Enterprise, Institution
from matchmaker.profiles.models import ResearchOutput
from tests.conftest import submit

PASSWORD = "granite-lantern-orchard-7"
NEWCOMER = {"display_name": "赵研究员", "email": "zhao@shri-lab.example.com",
            "password": PASSWORD, "confirm": PASSWORD, "role": "institution",
            "organisation_name": "陕西氢能技术研究院", "organisation_type": "institute",
            "region": "西咸新区", "accept_privacy": "y"}


def institution(db_session, ref: str) -> Institution:
    return db_session.scalar(select(Institution).where(Institution.ref == ref))


def newcomer(db_session, email: str = NEWCOMER["email"]) -> User | None:
    return db_session.scalar(select(User).where(User.email == email))


def ask_to_join(client, form: dict, org_id: int, kind: str = "institution"):
    return submit(client, "/auth/signup", form | {"join_existing": "y",
                                                  "join_organisation": f"{kind}:{org_id}"})


def sign_up_asking_to_join(client, db_session, form: dict = NEWCOMER,
                           ref: str = "shri") -> User:
    org = institution(db_session, ref)
    assert ask_to_join(client, form, org.id).status_code == 302
    return newcomer(db_session, form["email"])


@pytest.mark.parametrize("typed, similarity", [
    ("陕西氢能技术研究院", 100),                                  # exactly
    ("陕西氢能技术研究院   ", 100),                               # trailing spaces
    ("陕西氢能技术研究院\u3000", 100),                            # ideographic space
    ("陕西氢能\u200b技术\u200d研究院", 100),                      # zero-width inside
    ("Ｓｈａａｎｘｉ Ｈｙｄｒｏｇｅｎ Ｅｎｅｒｇｙ Ｒｅｓｅａｒｃｈ Ｉｎｓｔｉｔｕｔｅ", 100),  # full-width
    ("ＳＨＲＩ", 100),                                            # full-width alias
    ("陕西氢能技木研究院", 88),                                   # a typo: 木 for 术
])
def test_a_name_matching_an_existing_institution_asks_before_anything_is_created(
        client, db_session, typed, similarity):
    shri = institution(db_session, "shri")
    users_before = db_session.scalar(select(func.count()).select_from(User))
    orgs_before = db_session.scalar(select(func.count()).select_from(Institution))
    response = submit(client, "/auth/signup", NEWCOMER | {"organisation_name": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="existing-organisation"' in page
    assert "“陕西氢能技术研究院”已在平台上" in page and "该单位已在平台上" in page
    assert f'name="join_organisation" type="hidden" value="institution:{shri.id}"' in page
    assert db_session.scalar(select(func.count()).select_from(User)) == users_before
    assert db_session.scalar(select(func.count()).select_from(Institution)) == orgs_before

    assert ask_to_join(client, NEWCOMER | {"organisation_name": typed}, shri.id) \
        .status_code == 302
    user = newcomer(db_session)
    assert user.institution is None and user.status == "pending"  # never attached
    request = user.pending_join_request
    assert request.institution == shri and request.similarity == similarity
    assert db_session.scalar(select(func.count()).select_from(Institution)) == orgs_before


def test_a_look_alike_enterprise_name_with_a_typo_asks_to_join(client, db_session):
    borong = db_session.scalar(select(Enterprise).where(Enterprise.ref == "am-ent-01"))
    form = NEWCOMER | {"role": "enterprise", "organisation_type": "tech_sme",
                       "organisation_name": "西安铂熔激光成形技术有限公司", "region": "西安市"}
    page = submit(client, "/auth/signup", form).get_data(as_text=True)
    assert "“西安铂镕激光成形技术有限公司”已在平台上" in page and "相似度 92/100" in page
    assert ask_to_join(client, form, borong.id).status_code == 200  # an institution's id
    assert ask_to_join(client, form, borong.id, "enterprise").status_code == 302
    user = newcomer(db_session)
    assert user.enterprise is None and user.pending_join_request.enterprise == borong


@pytest.mark.parametrize("name", ["陕西秦岭氢能装备研究所", "西北大学", "秦川理工大校"])
def test_a_genuinely_new_name_creates_the_organisation_as_before(client, db_session, name):
    response = submit(client, "/auth/signup", NEWCOMER | {"organisation_name": name})
    assert response.status_code == 302
    user = newcomer(db_session)
    assert user.institution.name == name and user.join_requests == []


def test_a_tampered_join_id_cannot_attach_the_account_to_another_organisation(client,
                                                                              db_session):
    other = institution(db_session, "qcut")
    page = ask_to_join(client, NEWCOMER, other.id).get_data(as_text=True)
    assert "“陕西氢能技术研究院”已在平台上" in page
    assert newcomer(db_session) is None


def test_the_join_request_is_shown_to_operators_and_blocks_approval(client, login_as,
                                                                    db_session):
    user = sign_up_asking_to_join(client, db_session)
    admin = login_as("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "申请加入已有单位 陕西氢能技术研究院" in page and "填写的名称相同" in page
    response = submit(admin, f"/admin/users/{user.id}/status", {"status": "active"},
                      form_url="/admin/users", follow_redirects=True)
    assert "暂不能通过审核" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.status == "pending" and user.institution is None


def test_a_member_confirms_and_then_the_operator_approves(client, login_as, db_session):
    user = sign_up_asking_to_join(client, db_session)
    member = login_as("shri")
    page = member.get("/account").get_data(as_text=True)
    assert 'data-testid="join-requests"' in page and NEWCOMER["email"] in page
    request = user.pending_join_request
    response = submit(member, f"/account/join-requests/{request.id}",
                      {"decision": "confirmed"}, form_url="/account", follow_redirects=True)
    assert "赵研究员：已确认成员身份" in response.get_data(as_text=True)
    db_session.refresh(user)
    db_session.refresh(request)
    assert user.institution.ref == "shri" and request.status == "confirmed"
    assert request.decided_by.email == "shri@demo.example.com"

    admin = login_as("admin")
    submit(admin, f"/admin/users/{user.id}/status", {"status": "active"},
           form_url="/admin/users")
    db_session.refresh(user)
    assert user.status == "active"
    draft = ResearchOutput(title="未公开的储氢合金草稿", abstract="草稿", trl=3, status="draft",
                           institution_id=user.institution_id)
    db_session.add(draft)
    db_session.flush()
    joined = login_as_email(client, NEWCOMER["email"])  # now a confirmed, approved member
    assert joined.get(f"/outputs/{draft.id}/edit").status_code == 200


def login_as_email(client, email: str):
    response = submit(client, "/auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_member_declines_and_the_account_cannot_be_approved(client, login_as, db_session):
    user = sign_up_asking_to_join(client, db_session)
    request = user.pending_join_request
    member = login_as("shri")
    submit(member, f"/account/join-requests/{request.id}", {"decision": "declined"},
           form_url="/account")
    db_session.refresh(request)
    db_session.refresh(user)
    assert request.status == "declined" and user.institution is None
    assert 'data-testid="join-requests"' not in member.get("/account").get_data(as_text=True)
    admin = login_as("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "无所属单位：加入陕西氢能技术研究院的申请已被拒绝" in page
    response = submit(admin, f"/admin/users/{user.id}/status", {"status": "active"},
                      form_url="/admin/users", follow_redirects=True)
    assert "没有所属单位" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.status == "pending"
    again = submit(member, f"/account/join-requests/{request.id}", {"decision": "confirmed"},
                   form_url="/account", follow_redirects=True)
    assert "该申请已由他人处理" in again.get_data(as_text=True)
    db_session.refresh(user)
    assert user.institution is None


def test_only_members_of_that_organisation_decide(client, login_as, db_session):
    user = sign_up_asking_to_join(client, db_session)
    request = user.pending_join_request
    for outsider in ("qcut", "h2-ent-01", "broker-zhangmin"):
        other = login_as(outsider)
        assert 'data-testid="join-requests"' not in other.get("/account").get_data(as_text=True)
        response = submit(other, f"/account/join-requests/{request.id}",
                          {"decision": "confirmed"}, form_url="/account")
        assert response.status_code == 403
    db_session.refresh(request)
    assert request.status == "pending"
    member = login_as("shri")
    assert submit(member, f"/account/join-requests/{request.id}", {"decision": "separate"},
                  form_url="/account").status_code == 400


def test_an_operator_confirms_on_the_accounts_page(client, login_as, db_session):
    user = sign_up_asking_to_join(client, db_session)
    admin = login_as("admin")
    submit(admin, f"/admin/join-requests/{user.pending_join_request.id}",
           {"decision": "confirmed"}, form_url="/admin/users")
    db_session.refresh(user)
    assert user.institution.ref == "shri"
    assert submit(admin, f"/admin/users/{user.id}/status", {"status": "active"},
                  form_url="/admin/users").status_code == 302
    db_session.refresh(user)
    assert user.status == "active"


def test_an_operator_declines_on_the_accounts_page(client, login_as, db_session):
    user = sign_up_asking_to_join(client, db_session)
    request = user.pending_join_request
    admin = login_as("admin")
    submit(admin, f"/admin/join-requests/{request.id}", {"decision": "declined"},
           form_url="/admin/users")
    db_session.refresh(request)
    db_session.refresh(user)
    assert request.status == "declined" and user.institution is None
    submit(admin, f"/admin/users/{user.id}/status", {"status": "rejected"},
           form_url="/admin/users")
    db_session.refresh(user)
    assert user.status == "rejected"


def test_an_operator_registers_a_false_look_alike_as_a_separate_organisation(
        client, login_as, db_session):
    form = NEWCOMER | {"organisation_name": "陕西氢能技木研究院"}
    user = sign_up_asking_to_join(client, db_session, form)
    admin = login_as("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "填写的名称相近" in page and "是另一家单位：登记“陕西氢能技木研究院”" in page
    submit(admin, f"/admin/join-requests/{user.pending_join_request.id}",
           {"decision": "separate"}, form_url="/admin/users")
    db_session.refresh(user)
    assert user.institution.name == "陕西氢能技木研究院"
    assert user.institution.region.name == "西咸新区" and user.institution.type == "institute"


def test_an_exact_name_cannot_be_registered_separately(client, login_as, db_session):
    user = sign_up_asking_to_join(client, db_session)
    admin = login_as("admin")
    assert "是另一家单位" not in admin.get("/admin/users").get_data(as_text=True)
    response = submit(admin, f"/admin/join-requests/{user.pending_join_request.id}",
                      {"decision": "separate"}, form_url="/admin/users", follow_redirects=True)
    assert "不能另行登记" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.institution is None and user.pending_join_request is not None


def test_non_operators_cannot_use_the_operator_decision(client, login_as, db_session):
    user = sign_up_asking_to_join(client, db_session)
    member = login_as("shri")
    assert submit(member, f"/admin/join-requests/{user.pending_join_request.id}",
                  {"decision": "confirmed"}, form_url="/account").status_code == 403


def test_the_database_refuses_an_active_institution_account_without_its_institution(
        client, db_session):
    user = sign_up_asking_to_join(client, db_session)
    region_id = user.pending_join_request.region_id
    with pytest.raises(IntegrityError), db_session.begin_nested():
        user.status = "active"
        db_session.flush()
    db_session.expire_all()
    with pytest.raises(IntegrityError), db_session.begin_nested():  # names no organisation
        db_session.add(JoinRequest(user_id=user.id, requested_name="x", requested_type="x",
                                   region_id=region_id, similarity=100))
        db_session.flush()
