"""The pipeline's pages: every route for every role, the no-JS move forms and the board's JSON
moves, refusals that leave nothing changed, the stale-save message, starting a deal from a
match, the introduction flow and the role home pages."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker.domain import Role
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import (
    Activity,
    Deal,
    DealHistory,
    DealTask,
    IntroductionRequest,
    ServiceTicket,
)
from matchmaker.recommendations.models import MatchGeneration, MatchSet, StoredMatch
from tests.conftest import recorded_statements
from tests.factories import agree_terms, qualify

_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def token(client, url: str = "/deals/") -> str:
    page = client.get(url).get_data(as_text=True)
    found = _TOKEN.search(page)
    assert found, page[:500]
    return found.group(1)


@pytest.fixture(autouse=True)
def _commit_before_posts(db_session):
    """A refused change rolls the request's session back: what the test made before it must
    be committed (to the test's outer transaction, rolled back after the test) to survive."""
    _SESSION[:] = [db_session]
    yield
    _SESSION.clear()


_SESSION: list = []


def post(client, url: str, data: dict, *, form_url: str = "/deals/", **kwargs):
    for session in _SESSION:
        session.commit()
    return client.post(url, data={"csrf_token": token(client, form_url), **data}, **kwargs)


def history_count(db_session, deal) -> int:
    return db_session.scalar(select(func.count()).select_from(DealHistory)
                             .where(DealHistory.deal_id == deal.id))


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def owner_client(sign_in, broker):
    return sign_in(broker)


# --- who sees which page ----------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/deals/", "/deals/board", "/deals/today", "/deals/overview",
                                 "/deals/new?output_id=1", "/deals/1", "/brokers/me"])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_each_role_reaches_only_its_workspace_pages(sign_in, make_user, broker):
    expected = {
        Role.BROKER: {"/deals/": 200, "/deals/board": 200, "/deals/today": 200,
                      "/deals/overview": 403, "/brokers/me": 200},
        Role.ADMIN: {"/deals/": 200, "/deals/board": 200, "/deals/today": 200,
                     "/deals/overview": 200, "/brokers/me": 404},
        Role.INSTITUTION: {"/deals/": 200, "/deals/board": 403, "/deals/today": 403,
                           "/deals/overview": 403, "/brokers/me": 404},
        Role.ENTERPRISE: {"/deals/": 200, "/deals/board": 403, "/deals/today": 403,
                          "/deals/overview": 403, "/brokers/me": 404},
    }
    for role, pages in expected.items():
        client = sign_in(broker if role == Role.BROKER else make_user(role))
        found = {url: client.get(url).status_code for url in pages}
        assert found == pages, role


def test_deal_page_for_every_role(sign_in, make_user, make_deal, make_output, make_need, broker):
    institution_user = make_user(Role.INSTITUTION)
    enterprise_user = make_user(Role.ENTERPRISE)
    deal = make_deal(owner=broker, output=make_output(owner=institution_user),
                     need=make_need(owner=enterprise_user))
    url = f"/deals/{deal.id}"
    cases = {
        "owner": (broker, 200, True),
        "operator": (make_user(Role.ADMIN), 200, True),
        "institution": (institution_user, 200, False),
        "enterprise": (enterprise_user, 200, False),
        "other broker": (make_user(Role.BROKER), 404, None),
        "other institution": (make_user(Role.INSTITUTION), 404, None),
        "other enterprise": (make_user(Role.ENTERPRISE), 404, None),
    }
    for name, (user, status, edits) in cases.items():
        response = sign_in(user).get(url)
        assert response.status_code == status, name
        if status == 200:
            page = text_of(response)
            assert ('data-testid="moves"' in page) is edits, name
            assert ('data-testid="comment-form"' in page) is (not edits), name


def test_parties_see_the_deals_that_involve_them_in_the_list(sign_in, make_user, make_deal,
                                                             make_output):
    institution_user = make_user(Role.INSTITUTION)
    mine = make_deal(output=make_output(owner=institution_user))
    other = make_deal()
    page = text_of(sign_in(institution_user).get("/deals/"))
    assert f'data-deal="{mine.id}"' in page and f'data-deal="{other.id}"' not in page


# --- moves ------------------------------------------------------------------------------------

def test_a_move_without_javascript_moves_the_deal_and_returns_to_the_board(
        owner_client, make_deal, db_session, broker):
    deal = make_deal(owner=broker, stage_key="introduced")
    response = post(owner_client, f"/deals/{deal.id}/move",
                    {"stage": "negotiating", "version": deal.version, "back": "board"},
                    form_url="/deals/board")
    assert response.status_code == 302 and "/deals/board" in response.headers["Location"]
    db_session.refresh(deal)
    assert deal.stage.key == "negotiating"


def test_the_board_offers_a_move_form_on_every_card(owner_client, make_deal, broker):
    deal = make_deal(owner=broker, stage_key="introduced")
    page = text_of(owner_client.get("/deals/board"))
    card = page[page.index(f'id="deal-{deal.id}"'):]
    card = card[:card.index("</li>")]
    assert 'data-testid="move-form"' in card and 'name="version"' in card
    assert 'value="negotiating" selected' in card  # the next stage is preselected


def test_a_refused_move_says_why_and_changes_nothing(owner_client, make_deal, db_session, broker):
    deal = make_deal(owner=broker, stage_key="negotiating")
    before = history_count(db_session, deal)
    response = post(owner_client, f"/deals/{deal.id}/move",
                    {"stage": "contract_signed", "version": deal.version},
                    form_url=f"/deals/{deal.id}", follow_redirects=True)
    page = text_of(response)
    assert response.status_code == 200
    assert "谈判" in page and "alert-danger" in page
    db_session.refresh(deal)
    assert deal.stage.key == "negotiating" and history_count(db_session, deal) == before


def test_a_refused_move_is_shown_in_the_readers_language(owner_client, make_deal, broker):
    deal = make_deal(owner=broker, stage_key="negotiating")
    post(owner_client, "/auth/locale/en", {"next": "/"})
    page = text_of(post(owner_client, f"/deals/{deal.id}/move",
                        {"stage": "contract_signed", "version": deal.version},
                        form_url=f"/deals/{deal.id}", follow_redirects=True))
    assert "Agree the price before leaving negotiation." in page


def test_a_move_back_needs_a_reason(owner_client, make_deal, db_session, broker):
    deal = make_deal(owner=broker, stage_key="negotiating")
    post(owner_client, f"/deals/{deal.id}/move", {"stage": "introduced",
                                                  "version": deal.version})
    db_session.refresh(deal)
    assert deal.stage.key == "negotiating"
    post(owner_client, f"/deals/{deal.id}/move", {"stage": "introduced", "version": deal.version,
                                                  "reason": "对方预算推迟"})
    db_session.refresh(deal)
    assert deal.stage.key == "introduced"


def test_lost_asks_for_a_reason_from_the_list(owner_client, make_deal, db_session, broker):
    deal = make_deal(owner=broker, stage_key="introduced")
    post(owner_client, f"/deals/{deal.id}/move", {"stage": "lost", "version": deal.version,
                                                  "reason": "企业转向其他方案"})
    db_session.refresh(deal)
    assert deal.is_open
    post(owner_client, f"/deals/{deal.id}/move", {"stage": "lost", "version": deal.version,
                                                  "reason": "企业转向其他方案",
                                                  "lost_reason": "need_changed"})
    db_session.refresh(deal)
    assert not deal.is_open and deal.lost_reason == "need_changed"


def test_the_board_script_gets_json_for_a_move_and_for_a_refusal(owner_client, make_deal,
                                                                   db_session, broker):
    deal = make_deal(owner=broker, stage_key="negotiating")
    headers = {"Accept": "application/json"}
    refused = post(owner_client, f"/deals/{deal.id}/move",
                   {"stage": "contract_signed", "version": deal.version}, headers=headers)
    assert refused.status_code == 422
    assert refused.json["ok"] is False and len(refused.json["messages"]) == 3
    agree_terms(db_session, deal, deal.owner)
    moved = post(owner_client, f"/deals/{deal.id}/move",
                 {"stage": "introduced", "version": deal.version, "reason": "重新介绍"},
                 headers=headers)
    assert moved.status_code == 200 and moved.json["ok"] is True
    db_session.refresh(deal)
    assert moved.json["version"] == deal.version and moved.json["stage"] == "introduced"
    assert moved.json["columns"]["introduced"]["count"] >= 1


def test_the_second_of_two_saves_gets_the_someone_else_message(owner_client, make_deal,
                                                               db_session, broker):
    deal = make_deal(owner=broker, stage_key="introduced")
    post(owner_client, "/auth/locale/en", {"next": "/"})
    seen = deal.version
    services.update_deal(db_session, deal, actor=deal.owner, version=seen, title="别人先改了标题")
    db_session.flush()
    response = post(owner_client, f"/deals/{deal.id}/fields",
                    {"version": seen, "title": "我的标题"}, form_url=f"/deals/{deal.id}",
                    follow_redirects=True)
    page = text_of(response)
    assert response.status_code == 200 and 'data-testid="moves"' in page
    assert "Someone else changed this deal since you opened it." in page
    db_session.refresh(deal)
    assert deal.title == "别人先改了标题"
    stale_json = post(owner_client, f"/deals/{deal.id}/move",
                      {"stage": "negotiating", "version": seen},
                      headers={"Accept": "application/json"})
    assert stale_json.status_code == 409 and stale_json.json["stale"] is True


# --- refusals for the other roles ---------------------------------------------------------------

def _all_posts(deal, task_id=1, ticket_id=1, user_id=1) -> dict[str, dict]:
    base = f"/deals/{deal.id}"
    due = (clock.today() + timedelta(days=3)).isoformat()
    return {
        f"{base}/move": {"stage": "negotiating", "version": deal.version},
        f"{base}/fields": {"title": "改", "version": deal.version},
        f"{base}/next-step": {"next_step": "改", "next_step_due": due, "version": deal.version},
        f"{base}/snooze": {"snoozed_until": due, "snooze_reason": "等", "version": deal.version},
        f"{base}/unsnooze": {"version": deal.version},
        f"{base}/activities": {"kind": "call", "body": "打了电话"},
        f"{base}/tasks": {"title": "任务", "due_on": due},
        f"{base}/tasks/{task_id}/done": {},
        f"{base}/tickets": {"kind": "policy", "title": "政策", "status": "open"},
        f"{base}/tickets/{ticket_id}": {"status": "done"},
        f"{base}/nda": {"nda_status": "signed", "version": deal.version},
        f"{base}/contract": {"contract_type": "licence", "version": deal.version},
        f"{base}/landing": {"landing_name": "公司", "landing_region": "1",
                            "landed_on": due, "version": deal.version},
        f"{base}/co-brokers": {"broker": str(user_id)},
        f"{base}/co-brokers/{user_id}/remove": {},
        f"{base}/reassign": {"broker": str(user_id)},
    }


def test_parties_and_strangers_change_nothing(sign_in, make_user, make_deal, make_output,
                                              make_need, db_session, broker):
    institution_user = make_user(Role.INSTITUTION)
    deal = make_deal(owner=broker, output=make_output(owner=institution_user), need=make_need(),
                     stage_key="introduced")
    task = services.add_task(db_session, deal, "准备材料", None, actor=broker)
    ticket = services.add_ticket(db_session, deal, "policy", "政策咨询", actor=broker)
    co = make_user(Role.BROKER)
    services.add_co_broker(db_session, deal, co, actor=broker)
    db_session.flush()
    version, before = deal.version, history_count(db_session, deal)
    posts = _all_posts(deal, task.id, ticket.id, co.id)
    for user, status in ((institution_user, 403), (make_user(Role.BROKER), 404),
                         (make_user(Role.ENTERPRISE), 404)):
        client = sign_in(user)
        for url, data in posts.items():
            response = post(client, url, data)
            assert response.status_code == status, (url, user.role)
    db_session.refresh(deal)
    assert deal.version == version and history_count(db_session, deal) == before
    assert deal.stage.key == "introduced" and deal.nda_status == "none"


def test_a_co_broker_cannot_reassign_and_nothing_changes(sign_in, make_user, make_deal,
                                                         db_session, broker):
    deal = make_deal(owner=broker)
    other = make_user(Role.BROKER)
    response = post(sign_in(broker), f"/deals/{deal.id}/reassign", {"broker": str(other.id)},
                    follow_redirects=True)
    assert response.status_code == 200
    db_session.refresh(deal)
    assert deal.owner_id == broker.id


def test_the_deals_parties_comment(sign_in, make_user, make_deal, make_need, db_session):
    enterprise_user = make_user(Role.ENTERPRISE)
    deal = make_deal(need=make_need(owner=enterprise_user))
    response = post(sign_in(enterprise_user), f"/deals/{deal.id}/comments",
                    {"body": "我们下周可以安排现场考察"}, follow_redirects=True)
    assert "我们下周可以安排现场考察" in text_of(response)
    assert db_session.scalar(select(Activity).where(Activity.deal_id == deal.id)).kind == \
        "comment"


def test_the_enterprise_reads_the_confidential_note_only_under_a_signed_nda(
        sign_in, make_user, make_deal, make_output, make_need, db_session, broker):
    enterprise_user = make_user(Role.ENTERPRISE)
    output = make_output(confidential_note="关键工艺参数：烧结温度1280度")
    deal = make_deal(owner=broker, output=output, need=make_need(owner=enterprise_user))
    client = sign_in(enterprise_user)
    assert "烧结温度1280度" not in text_of(client.get(f"/deals/{deal.id}"))
    services.set_nda(db_session, deal, "signed", actor=broker,
                     expires_on=clock.today() + timedelta(days=365))
    db_session.flush()
    assert "烧结温度1280度" in text_of(client.get(f"/deals/{deal.id}"))


# --- the deal page's forms, through to contract signed and served -------------------------------

def test_a_broker_carries_a_deal_from_qualified_to_serving_through_the_pages(
        owner_client, make_deal, db_session, region, broker):
    deal = make_deal(owner=broker, stage_key="qualified")
    url = f"/deals/{deal.id}"

    def send(path, data):
        db_session.refresh(deal)
        response = post(owner_client, url + path, {"version": deal.version, **data},
                        form_url=url, follow_redirects=True)
        assert response.status_code == 200
        return text_of(response)

    send("/fields", {"title": deal.title, "ip_checked": "y", "team_willing": "y",
                     "reform_status": "separately_managed"})
    send("/move", {"stage": "introduced"})
    send("/move", {"stage": "negotiating"})
    send("/fields", {"title": deal.title, "ip_checked": "y", "team_willing": "y",
                     "reform_status": "separately_managed", "transfer_mode": "licence",
                     "price": "150", "payment_kind": "royalty"})
    send("/contract", {"contract_type": "licence", "seller_name": "测试大学",
                       "buyer_name": "测试企业有限公司", "total_amount": "150",
                       "technical_amount": "140", "signed_on": clock.today().isoformat()})
    send("/move", {"stage": "contract_signed"})
    landed_on = clock.today().isoformat()
    send("/landing", {"landing_name": "西咸氢能新材料有限公司", "landing_region": str(region.id),
                      "landed_on": landed_on})
    send("/move", {"stage": "landed"})
    send("/tickets", {"kind": "financing", "title": "种子基金", "status": "open",
                      "financing_kind": "fund", "amount_raised": "200"})
    page = send("/move", {"stage": "serving"})
    db_session.refresh(deal)
    assert deal.stage.key == "serving" and deal.local_conversion is True
    assert deal.output.status == "transferred" and deal.need.status == "solved"
    ticket = db_session.scalar(select(ServiceTicket).where(ServiceTicket.deal_id == deal.id))
    assert ticket.amount_raised == Decimal(200)
    stages = [row.new_value for row in db_session.scalars(
        select(DealHistory).where(DealHistory.deal_id == deal.id, DealHistory.field == "stage")
        .order_by(DealHistory.id))]
    assert stages == ["qualified", "introduced", "negotiating", "contract_signed", "landed",
                      "serving"]
    assert page.count('data-testid="history"') == history_count(db_session, deal)


def test_next_step_snooze_activity_tasks_nda_and_co_brokers(owner_client, make_deal, make_user,
                                                            db_session, broker):
    deal = make_deal(owner=broker)
    url = f"/deals/{deal.id}"
    due = clock.today() + timedelta(days=5)

    def send(path, data, with_version=True):
        db_session.refresh(deal)
        extra = {"version": deal.version} if with_version else {}
        return post(owner_client, url + path, {**extra, **data}, form_url=url)

    send("/next-step", {"next_step": "寄送样品", "next_step_due": due.isoformat()})
    send("/snooze", {"snoozed_until": due.isoformat(), "snooze_reason": "等专利授权"})
    send("/activities", {"kind": "visit", "body": "走访实验室"}, False)
    send("/tasks", {"title": "整理专利清单", "due_on": due.isoformat()}, False)
    task = db_session.scalar(select(DealTask).where(DealTask.deal_id == deal.id))
    send(f"/tasks/{task.id}/done", {}, False)
    send("/nda", {"nda_status": "sent"})
    co = make_user(Role.BROKER)
    send("/co-brokers", {"broker": str(co.id)}, False)
    db_session.refresh(deal)
    assert (deal.next_step, deal.next_step_due) == ("寄送样品", due)
    assert deal.snoozed_until == due and deal.nda_status == "sent"
    assert co.id in deal.co_broker_ids
    db_session.refresh(task)
    assert task.is_done
    send(f"/co-brokers/{co.id}/remove", {}, False)
    db_session.refresh(deal)
    assert co.id not in deal.co_broker_ids
    kinds = {row.kind for row in db_session.scalars(
        select(DealHistory).where(DealHistory.deal_id == deal.id))}
    assert {"next_step", "snooze", "activity", "task", "nda", "co_broker"} <= kinds


def test_operators_reassign(sign_in, make_user, make_deal, db_session):
    deal = make_deal()
    other = make_user(Role.BROKER)
    post(sign_in(make_user(Role.ADMIN)), f"/deals/{deal.id}/reassign",
         {"broker": str(other.id), "note": "负载均衡", "version": deal.version})
    db_session.refresh(deal)
    assert deal.owner_id == other.id


def test_a_reassignment_of_a_deal_that_changed_meanwhile_is_refused(sign_in, make_user,
                                                                    make_deal, db_session):
    """The operator's page showed the deal before its broker changed it: nothing is
    overwritten, and a reassignment without the version the page showed is refused too."""
    deal = make_deal()
    owner, other = deal.owner_id, make_user(Role.BROKER)
    seen = deal.version
    deal.next_step = "电话确认中试排期"
    db_session.commit()
    assert deal.version == seen + 1
    operator = sign_in(make_user(Role.ADMIN))
    page = post(operator, f"/deals/{deal.id}/reassign",
                {"broker": str(other.id), "version": seen}, follow_redirects=True)
    assert "别人修改了这个项目" in text_of(page)
    page = post(operator, f"/deals/{deal.id}/reassign", {"broker": str(other.id)},
                follow_redirects=True)
    assert "表单不完整" in text_of(page)
    db_session.refresh(deal)
    assert deal.owner_id == owner


def test_an_invalid_form_says_what_is_wrong_and_changes_nothing(owner_client, make_deal,
                                                                db_session, broker):
    deal = make_deal(owner=broker)
    before = history_count(db_session, deal)
    response = post(owner_client, f"/deals/{deal.id}/next-step",
                    {"next_step": "", "next_step_due": "not a date", "version": deal.version},
                    follow_redirects=True)
    assert response.status_code == 200 and "alert-danger" in text_of(response)
    assert history_count(db_session, deal) == before


# --- starting deals -------------------------------------------------------------------------------

def test_a_broker_starts_a_deal_from_an_output_alone(owner_client, make_output, db_session,
                                                     broker):
    output = make_output()
    due = (clock.today() + timedelta(days=7)).isoformat()
    form = f"/deals/new?output_id={output.id}"
    response = post(owner_client, form, {"output_id": output.id, "next_step": "拜访课题组",
                                         "next_step_due": due, "expected_value": "80"},
                    form_url=form)
    assert response.status_code == 302
    deal = db_session.scalar(select(Deal).where(Deal.output_id == output.id))
    assert deal.owner_id == broker.id and deal.need_id is None and deal.match_score is None


def test_a_broker_starts_a_deal_from_a_match_with_its_snapshot(owner_client, db_session):
    match = db_session.scalar(
        select(StoredMatch).join(MatchSet).join(MatchGeneration)
        .where(MatchGeneration.status == "current").order_by(StoredMatch.id).limit(1))
    form = f"/deals/new?need_id={match.need_id}&output_id={match.output_id}&match=1"
    page = text_of(owner_client.get(form))
    assert 'data-testid="match-snapshot"' in page
    response = post(owner_client, form, {
        "need_id": match.need_id, "output_id": match.output_id, "from_match": "1",
        "next_step": "约双方会面", "next_step_due": (clock.today() + timedelta(days=3)).isoformat()},
        form_url=form)
    assert response.status_code == 302
    deal = db_session.scalar(select(Deal).where(Deal.need_id == match.need_id,
                                                Deal.output_id == match.output_id,
                                                Deal.match_score.is_not(None)))
    assert deal.match_score == pytest.approx(match.score)
    assert deal.match_explanation == match.explanation


def test_only_brokers_and_operators_start_deals(sign_in, make_user, make_output, db_session):
    output = make_output()
    for role in (Role.INSTITUTION, Role.ENTERPRISE):
        client = sign_in(make_user(role))
        assert client.get(f"/deals/new?output_id={output.id}").status_code == 403
    assert db_session.scalar(select(func.count()).select_from(Deal)
                             .where(Deal.output_id == output.id)) == 0


def test_the_match_list_offers_brokers_a_deal_and_owners_an_introduction(
        login_as, db_session):
    match = db_session.scalar(
        select(StoredMatch).join(MatchSet).join(MatchGeneration)
        .where(MatchGeneration.status == "current", MatchSet.side == "need")
        .order_by(StoredMatch.id).limit(1))
    from matchmaker.profiles.models import TechNeed

    need = db_session.get(TechNeed, match.need_id)
    broker_page = text_of(login_as("broker-liuyang").get(f"/needs/{need.id}"))
    assert 'data-testid="start-deal"' in broker_page or 'data-testid="open-deal"' in broker_page
    from matchmaker.auth.models import User

    owner = db_session.scalar(select(User).where(User.enterprise_id == need.enterprise_id,
                                                 User.status == "active").limit(1))
    assert owner is not None
    if owner is not None:
        key = owner.email.split("@")[0]
        owner_page = text_of(login_as(key).get(f"/needs/{need.id}"))
        assert ('data-testid="introduction-form"' in owner_page
                or 'data-testid="introduction-pending"' in owner_page)
        assert 'data-testid="start-deal"' not in owner_page


# --- introductions --------------------------------------------------------------------------------

def test_the_introduction_flow(sign_in, make_user, make_output, make_need, db_session, broker,
                               chain):
    enterprise_user = make_user(Role.ENTERPRISE)
    need = make_need(owner=enterprise_user, chain_key=chain.key)
    output = make_output(chain_key=chain.key)
    client = sign_in(enterprise_user)
    response = post(client, "/deals/introductions", {
        "need_id": need.id, "output_id": output.id, "back": "need",
        "message": "希望尽快了解技术细节"}, form_url="/")
    assert response.status_code == 302
    request = db_session.scalar(select(IntroductionRequest).where(
        IntroductionRequest.need_id == need.id))
    assert request.status == "pending" and request.broker_id == broker.id
    # Asking twice adds nothing.
    post(client, "/deals/introductions", {"need_id": need.id, "output_id": output.id},
         form_url="/")
    assert db_session.scalar(select(func.count()).select_from(IntroductionRequest).where(
        IntroductionRequest.need_id == need.id)) == 1
    home = text_of(client.get("/"))
    assert 'data-home="enterprise"' in home and "希望尽快了解技术细节" not in home.split(
        'data-testid="home-introductions"')[0]
    # The requester may not decide it.
    due = (clock.today() + timedelta(days=3)).isoformat()
    assert post(client, f"/deals/introductions/{request.id}/accept",
                {"next_step": "x", "next_step_due": due}).status_code == 403
    broker_client = sign_in(broker)
    today = text_of(broker_client.get("/deals/today"))
    assert f'data-request="{request.id}"' in today and "希望尽快了解技术细节" in today
    assert f'data-request="{request.id}"' in text_of(broker_client.get("/"))
    response = post(broker_client, f"/deals/introductions/{request.id}/accept",
                    {"next_step": "安排双方视频会议", "next_step_due": due}, form_url="/deals/today")
    db_session.refresh(request)
    assert request.status == "accepted" and request.deal.stage.key == "introduced"
    assert response.headers["Location"].endswith(f"/deals/{request.deal_id}")
    assert f'data-deal="{request.deal_id}"' in text_of(client.get("/"))


def test_a_broker_declines_an_introduction_with_a_reason(sign_in, make_user, make_output,
                                                         make_need, db_session, broker, chain):
    enterprise_user = make_user(Role.ENTERPRISE)
    need = make_need(owner=enterprise_user, chain_key=chain.key)
    output = make_output(chain_key=chain.key)
    request = services.ask_introduction(db_session, need=need, output=output,
                                        actor=enterprise_user)
    db_session.flush()
    broker_client = sign_in(broker)
    post(broker_client, f"/deals/introductions/{request.id}/decline", {"note": ""},
         form_url="/deals/today")
    db_session.refresh(request)
    assert request.status == "pending"
    post(broker_client, f"/deals/introductions/{request.id}/decline",
         {"note": "成果方暂不对外许可"}, form_url="/deals/today")
    db_session.refresh(request)
    assert request.status == "declined"
    assert "成果方暂不对外许可" in text_of(sign_in(enterprise_user).get("/"))


def test_brokers_and_other_roles_cannot_ask_for_introductions(sign_in, make_user, make_output,
                                                              make_need, db_session, broker):
    need, output = make_need(), make_output()
    for user in (broker, make_user(Role.ENTERPRISE)):
        post(sign_in(user), "/deals/introductions", {"need_id": need.id,
                                                     "output_id": output.id}, form_url="/")
    assert db_session.scalar(select(func.count()).select_from(IntroductionRequest).where(
        IntroductionRequest.need_id == need.id)) == 0


# --- lists, board, today, overview, home ------------------------------------------------------------

def test_the_board_shows_columns_with_count_value_and_expected_value(owner_client, make_deal,
                                                                     broker):
    make_deal(owner=broker, stage_key="introduced", expected_value=Decimal(100))
    make_deal(owner=broker, stage_key="introduced", expected_value=Decimal(50))
    page = text_of(owner_client.get("/deals/board"))
    column = page[page.index('data-stage="introduced"'):]
    column = column[:column.index("</header>")]
    assert re.search(r'data-testid="column-count">2<', column)
    assert "150" in column


def test_the_list_filters_by_stage_value_and_overdue(owner_client, make_deal, db_session, broker):
    late = make_deal(owner=broker, stage_key="introduced", expected_value=Decimal(500),
                     next_step_due=clock.today() - timedelta(days=2))
    early = make_deal(owner=broker, stage_key="discovered", expected_value=Decimal(10))
    page = text_of(owner_client.get("/deals/?overdue=1"))
    assert f'data-deal="{late.id}"' in page and f'data-deal="{early.id}"' not in page
    page = text_of(owner_client.get("/deals/?stage=discovered"))
    assert f'data-deal="{early.id}"' in page and f'data-deal="{late.id}"' not in page
    page = text_of(owner_client.get("/deals/?value_min=100&value_max=nonsense"))
    assert f'data-deal="{late.id}"' in page and f'data-deal="{early.id}"' not in page
    assert 'data-testid="flag-overdue"' in text_of(owner_client.get("/deals/today"))


def test_operators_filter_by_broker(sign_in, make_user, make_deal):
    other = make_user(Role.BROKER)
    mine, theirs = make_deal(), make_deal(owner=other)
    client = sign_in(make_user(Role.ADMIN))
    page = text_of(client.get(f"/deals/?owner={other.id}"))
    assert f'data-deal="{theirs.id}"' in page and f'data-deal="{mine.id}"' not in page
    board = text_of(client.get(f"/deals/board?owner={other.id}"))
    assert f'id="deal-{theirs.id}"' in board and f'id="deal-{mine.id}"' not in board


def test_the_overview_shows_the_funnel_conversion_and_loads(sign_in, make_user, make_deal):
    make_deal(stage_key="contract_signed")
    page = text_of(sign_in(make_user(Role.ADMIN)).get("/deals/overview"))
    for testid in ("funnel", "conversion", "median-days", "loads"):
        assert f'data-testid="{testid}"' in page


def test_each_role_home_shows_its_own_work(sign_in, make_user, make_deal, make_output, client,
                                           broker):
    institution_user = make_user(Role.INSTITUTION)
    output = make_output(owner=institution_user)
    deal = make_deal(owner=broker, output=output, next_step_due=clock.today())
    home = text_of(sign_in(broker).get("/"))
    assert 'data-home="broker"' in home and 'data-testid="today-due"' in home
    assert f'data-deal="{deal.id}"' in home
    home = text_of(sign_in(institution_user).get("/"))
    assert 'data-home="institution"' in home and f'data-deal="{deal.id}"' in home
    assert output.title in home
    assert 'data-home="admin"' in text_of(sign_in(make_user(Role.ADMIN)).get("/"))
    assert 'data-testid="home-work"' not in text_of(client.get("/"))


def test_the_contract_export_is_an_xlsx_of_what_the_viewer_sees(owner_client):
    response = owner_client.get("/deals/contracts.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


# --- listings and broker profile ----------------------------------------------------------------------

def test_the_owner_reads_that_deals_set_transferred(sign_in, make_user, make_output):
    institution_user = make_user(Role.INSTITUTION)
    output = make_output(owner=institution_user)
    page = text_of(sign_in(institution_user).get(f"/outputs/{output.id}"))
    assert 'data-testid="status-by-deals"' in page
    assert f"/deals/?output_id={output.id}" in page
    assert 'data-testid="status-transferred"' not in page


def test_a_listings_deals_list(sign_in, make_user, make_output, make_deal):
    institution_user = make_user(Role.INSTITUTION)
    output = make_output(owner=institution_user)
    deal, other = make_deal(output=output), make_deal()
    page = text_of(sign_in(institution_user).get(f"/deals/?output_id={output.id}"))
    assert f'data-deal="{deal.id}"' in page and f'data-deal="{other.id}"' not in page


def test_a_need_page_shows_its_deals_and_each_cards_open_deal(sign_in, make_broker, make_deal,
                                                             db_session):
    """The side column lists the first ten deals the viewer sees on the listing, lost ones
    too, most urgent first; a match card opens the oldest open deal on its pair and offers a
    new one when the pair's only deal is lost."""
    from matchmaker.pipeline.views import LISTING_DEALS_SHOWN
    from matchmaker.profiles.models import ResearchOutput, TechNeed

    match_set = db_session.scalar(
        select(MatchSet).join(MatchGeneration).join(StoredMatch)
        .where(MatchGeneration.status == "current", MatchSet.side == "need")
        .group_by(MatchSet.id).having(func.count(StoredMatch.id) >= 3)
        .order_by(MatchSet.id).limit(1))
    need = db_session.get(TechNeed, match_set.profile_id)
    ranked = db_session.scalars(select(StoredMatch.output_id).where(
        StoredMatch.set_id == match_set.id).order_by(StoredMatch.rank).limit(3)).all()
    on_open, on_lost, untouched = (db_session.get(ResearchOutput, i) for i in ranked)
    broker, today = make_broker(), clock.today()
    oldest = make_deal(owner=broker, need=need, output=on_open,
                       next_step_due=today + timedelta(days=9))
    newer = make_deal(owner=broker, need=need, output=on_open,
                      next_step_due=today + timedelta(days=1))
    lost = make_deal(owner=broker, need=need, output=on_lost, stage_key="lost")
    alone = [make_deal(owner=broker, need=need, output=None,
                       next_step_due=today + timedelta(days=d)) for d in range(10, 18)]
    ours = [oldest, newer, lost, *alone]
    assert len(ours) > LISTING_DEALS_SHOWN
    page = text_of(sign_in(broker).get(f"/needs/{need.id}"))

    def card(output) -> str:
        start = page.index(f'id="match-{output.id}"')
        end = page.find('<li class="card mb-3" id="match-', start + 1)
        return page[start:end if end > 0 else None]

    assert f'href="/deals/{oldest.id}" data-testid="open-deal"' in card(on_open)
    assert 'data-testid="start-deal"' in card(on_lost) and "open-deal" not in card(on_lost)
    assert 'data-testid="start-deal"' in card(untouched)
    column = page[page.index('data-testid="listing-deals"'):]
    column = column[:column.index("</section>")]
    urgent_first = sorted(ours, key=lambda d: (d.next_step_due, d.id))
    assert re.findall(r'href="/deals/(\d+)"', column) == [
        str(d.id) for d in urgent_first[:LISTING_DEALS_SHOWN]]
    assert str(lost.stage.name_zh) in column


def test_a_broker_edits_their_own_profile(sign_in, broker, chain, db_session):
    client = sign_in(broker)
    data = {"chains": [chain.key], "technology": "5", "industry": "4", "capital": "3",
            "market": "2", "investment": "1", "cultivation": "3",
            "certificate_no": "JSJJ-2026-0099", "organisation": "西咸技术转移中心",
            "bio": "专注氢能，电话 029-0000"}
    response = post(client, "/brokers/me", data, form_url="/brokers/me")
    assert response.status_code == 302
    db_session.refresh(broker.broker)
    assert broker.broker.certificate_no == "JSJJ-2026-0099" and broker.broker.technology == 5
    bad = post(client, "/brokers/me", {**data, "technology": "9"}, form_url="/brokers/me")
    assert bad.status_code == 200
    db_session.refresh(broker.broker)
    assert broker.broker.technology == 5


def test_a_qualified_deal_moves_on_once_qualified(owner_client, make_deal, db_session, broker):
    deal = make_deal(owner=broker, stage_key="qualified")
    page = text_of(owner_client.get(f"/deals/{deal.id}"))
    assert "Check the IP status" in page or "知识产权" in page
    qualify(db_session, deal, deal.owner)
    db_session.flush()
    page = text_of(owner_client.get(f"/deals/{deal.id}"))
    blockers = page[page.index('data-testid="move-introduced"'):]
    assert "move-blockers" not in blockers[:blockers.index("</li>")]


def test_the_board_shows_the_most_urgent_cards_of_a_full_column(owner_client, make_deal,
                                                                 monkeypatch, broker):
    from matchmaker.pipeline import pages

    monkeypatch.setattr(pages, "CARDS_PER_COLUMN", 2)
    days = (5, 1, 9)
    deals = [make_deal(owner=broker, stage_key="introduced",
                       next_step_due=clock.today() + timedelta(days=d)) for d in days]
    page = text_of(owner_client.get("/deals/board"))
    column = page[page.index('<ol class="board-cards list-unstyled" data-board-column '
                             'data-stage="introduced"'):]
    column = column[:column.index("</section>")]
    shown = re.findall(r'data-testid="deal-card" data-deal="(\d+)"', column)
    assert shown == [str(deals[1].id), str(deals[0].id)]
    assert "/deals/?stage=introduced" in column


def test_an_operator_lets_the_platform_choose_the_owner(sign_in, make_user, make_output,
                                                        db_session, broker, chain):
    output = make_output(chain_key=chain.key)  # the broker fixture's specialty
    make_user(Role.BROKER)  # another broker, without that chain
    form = f"/deals/new?output_id={output.id}"
    client = sign_in(make_user(Role.ADMIN))
    response = post(client, form, {"output_id": output.id, "owner": "", "next_step": "分配",
                                   "next_step_due": (clock.today() + timedelta(days=2))
                                   .isoformat()}, form_url=form)
    assert response.status_code == 302
    deal = db_session.scalar(select(Deal).where(Deal.output_id == output.id))
    assert deal.owner_id == broker.id


@pytest.mark.parametrize("value", ["0", "2147483648", "99999999999", "-3", "x"])
def test_ids_no_table_holds_are_not_found(sign_in, make_user, make_need, broker, value):
    need = make_need()
    enterprise_client = sign_in(make_user(Role.ENTERPRISE))
    response = post(enterprise_client, "/deals/introductions",
                    {"need_id": need.id, "output_id": value}, form_url="/")
    assert response.status_code in (302, 404)
    broker_client = sign_in(broker)
    assert broker_client.get(f"/deals/new?output_id={value}").status_code == 404
    assert broker_client.get(f"/deals/?output_id={value}").status_code == 200


def _page_and_statements(db_session, client, url: str) -> tuple[str, list[str]]:
    """Return the page at url and the SQL statements drawing it ran."""
    with recorded_statements(db_session) as statements:
        page = text_of(client.get(url))
    return page, statements


def _reading(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if f"FROM {table}" in s)


@pytest.mark.parametrize("side", ["need", "output"])
def test_a_listings_match_cards_read_deals_and_introductions_once_not_once_per_card(
        login_as, db_session, side):
    """Ten match cards each offer "start a deal" or "open the deal", and the side column lists
    the listing's deals: the page reads deals in one query, however many cards, plus one for
    the cards' deal marks (the open deals of the listing and of its candidates, whoever may
    see them: pipeline/marks.py). An owner's cards each offer an introduction: one query for
    the pending ones (and the same two for deals)."""
    from matchmaker.auth.models import User
    from matchmaker.profiles.models import ResearchOutput, TechNeed

    model = TechNeed if side == "need" else ResearchOutput
    org = TechNeed.enterprise_id if side == "need" else ResearchOutput.institution_id
    member = User.enterprise_id if side == "need" else User.institution_id
    match_set, owner = db_session.execute(
        select(MatchSet, User).join(MatchGeneration).join(StoredMatch)
        .join(model, model.id == MatchSet.profile_id).join(User, member == org)
        .where(MatchGeneration.status == "current", MatchSet.side == side,
               User.status == "active")
        .group_by(MatchSet.id, User.id).having(func.count(StoredMatch.id) >= 5)
        .order_by(MatchSet.id, User.id).limit(1)).one()
    url = f"/{side}s/{match_set.profile_id}"
    page, statements = _page_and_statements(db_session, login_as("broker-liuyang"), url)
    cards = page.count('data-testid="start-deal"') + page.count('data-testid="open-deal"')
    assert cards >= 5 and 'data-testid="listing-deals"' in page
    assert _reading(statements, "deals") == 2
    owner_client = login_as(owner.email.split("@")[0])
    page, statements = _page_and_statements(db_session, owner_client, url)
    asks = (page.count('data-testid="introduction-form"')
            + page.count('data-testid="introduction-pending"'))
    assert asks >= 5
    assert _reading(statements, "introduction_requests") == 1
    assert _reading(statements, "deals") == 2
