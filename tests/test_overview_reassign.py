"""The operators' overview rebalances the brokers' loads: each broker's open deals, ticked and
reassigned to another broker in one POST. Each deal goes through services.reassign_deal with
the version the page showed: one history row per deal; a deal changed after the page was
loaded is named and left alone while the others go through; nobody but an operator changes
anything."""
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from matchmaker.auth import services as auth
from matchmaker.chains.models import Chain
from matchmaker.domain import HistoryKind, Role
from matchmaker.errors import PermissionDeniedError
from matchmaker.pipeline import clock, rebalance
from matchmaker.pipeline import services as deals
from matchmaker.pipeline.models import Deal, DealHistory
from tests.conftest import csrf_token

OVERVIEW = "/deals/overview"
REASSIGN = "/deals/overview/reassign"


@pytest.fixture
def loads(db_session, make_broker, make_user, make_output):
    """Broker A with three open deals, broker B (hydrogen) with none, and an operator."""
    a, b = make_broker(name="甲经纪人"), make_broker(name="乙经纪人")
    hydrogen = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    auth.update_broker_profile(db_session, b.broker, actor=b, chains=[hydrogen],
                               certificate_no="", organisation="", bio="", competencies={})
    due = clock.today() + timedelta(days=3)
    made = [deals.create_deal(db_session, actor=a, output=make_output(), title=f"改派测试 {i}",
                              next_step="跟进", next_step_due=due + timedelta(days=i))
            for i in range(3)]
    operator = make_user(Role.ADMIN)
    db_session.commit()
    return SimpleNamespace(a=a, b=b, deals=made, operator=operator, hydrogen=hydrogen)


def _picks(page: str, *chosen: Deal) -> list[str]:
    """The checkbox values the overview shows for the chosen deals (id and version)."""
    values = []
    for deal in chosen:
        found = re.search(rf'name="deals" value="({deal.id}:\d+)"', page)
        assert found, f"deal {deal.id} is not on the overview"
        values.append(found.group(1))
    return values


def _assign_rows(db_session, deal: Deal) -> list[DealHistory]:
    return db_session.scalars(select(DealHistory).where(
        DealHistory.deal_id == deal.id, DealHistory.kind == HistoryKind.ASSIGN)).all()


def _state(db_session, made) -> list[tuple]:
    db_session.expire_all()
    return [(d.owner_id, d.version, len(_assign_rows(db_session, d))) for d in made]


def test_the_overview_lists_each_brokers_open_deals_and_the_targets_load_and_chains(
        loads, sign_in):
    page = sign_in(loads.operator).get(OVERVIEW).get_data(as_text=True)
    section = page[page.index(f'data-testid="broker-deals" data-user="{loads.a.id}"'):]
    section = section[:section.index("</details>")]
    assert "进行中 3 个" in section
    for deal in loads.deals:
        assert f'value="{deal.id}:{deal.version}"' in section and deal.title in section
    option = re.search(rf'<option value="{loads.b.id}"[^>]*>([^<]+)</option>', page).group(1)
    assert option == f"乙经纪人（进行中 0 个 · {loads.hydrogen.name_zh}）"
    a_option = re.search(rf'<option value="{loads.a.id}"[^>]*>([^<]+)</option>', page).group(1)
    assert "进行中 3 个" in a_option and "未选产业链" in a_option


def test_the_most_urgent_deals_come_first_and_the_rest_are_left_to_the_list(db_session,
                                                                           loads):
    shown = rebalance.open_deals_by_owner(db_session, [loads.a.id, loads.b.id], limit=2)
    assert [d.id for d in shown[loads.a.id]] == [d.id for d in loads.deals[:2]]
    assert shown[loads.b.id] == []


def test_an_operator_reassigns_ticked_deals_in_one_post(db_session, loads, sign_in):
    client = sign_in(loads.operator)
    page = client.get(OVERVIEW).get_data(as_text=True)
    moved, kept = loads.deals[:2], loads.deals[2]
    response = client.post(REASSIGN, data={
        "csrf_token": csrf_token(client, OVERVIEW), "deals": _picks(page, *moved),
        "broker": str(loads.b.id), "note": "负载均衡"}, follow_redirects=True)
    assert "已将 2 个项目改派给 乙经纪人。" in response.get_data(as_text=True)
    db_session.expire_all()
    for deal in moved:
        assert deal.owner_id == loads.b.id
        rows = _assign_rows(db_session, deal)
        assert [(r.field, r.old_value, r.new_value, r.actor_id, r.note) for r in rows] == [
            ("owner", str(loads.a.id), str(loads.b.id), loads.operator.id, "负载均衡")]
    assert kept.owner_id == loads.a.id and _assign_rows(db_session, kept) == []
    page = response.get_data(as_text=True)
    assert f'data-testid="broker-deals" data-user="{loads.b.id}"' in page  # B has deals now


def test_a_deal_changed_after_the_page_was_loaded_is_named_and_the_others_go_through(
        db_session, loads, sign_in):
    client = sign_in(loads.operator)
    page = client.get(OVERVIEW).get_data(as_text=True)
    changed, other = loads.deals[:2]
    picks = _picks(page, changed, other)
    # Meanwhile its broker gives the deal a new next step (a new version).
    deals.set_next_step(db_session, changed, "改约下周", clock.today() + timedelta(days=9),
                        actor=loads.a)
    db_session.commit()
    response = client.post(REASSIGN, data={"csrf_token": csrf_token(client, OVERVIEW),
                                           "deals": picks, "broker": str(loads.b.id)},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"“{changed.title}”未改派：在您打开本页之后有人修改了它。" in html
    assert "已将 1 个项目改派给 乙经纪人。" in html
    db_session.expire_all()
    assert changed.owner_id == loads.a.id and _assign_rows(db_session, changed) == []
    assert changed.next_step == "改约下周"  # the broker's change stands
    assert other.owner_id == loads.b.id and len(_assign_rows(db_session, other)) == 1


def test_a_deal_already_with_the_target_is_reported_and_not_rewritten(db_session, loads,
                                                                      sign_in):
    client = sign_in(loads.operator)
    page = client.get(OVERVIEW).get_data(as_text=True)
    response = client.post(REASSIGN, data={
        "csrf_token": csrf_token(client, OVERVIEW), "deals": _picks(page, loads.deals[0]),
        "broker": str(loads.a.id)}, follow_redirects=True)
    assert f"“{loads.deals[0].title}”已由 甲经纪人 负责。" in response.get_data(as_text=True)
    assert _state(db_session, loads.deals[:1])[0][2] == 0


@pytest.mark.parametrize("who", ["owner broker", "other broker", "institution", "enterprise"])
def test_nobody_but_an_operator_reassigns_and_nothing_changes(db_session, loads, sign_in,
                                                              make_broker, make_user, who):
    page = sign_in(loads.operator).get(OVERVIEW).get_data(as_text=True)
    picks = _picks(page, *loads.deals)
    actor = {"owner broker": lambda: loads.a, "other broker": make_broker,
             "institution": lambda: make_user(Role.INSTITUTION),
             "enterprise": lambda: make_user(Role.ENTERPRISE)}[who]()
    db_session.commit()
    before = _state(db_session, loads.deals)
    client = sign_in(actor)
    assert client.get(OVERVIEW).status_code == 403
    response = client.post(REASSIGN, data={"csrf_token": csrf_token(client, "/account"),
                                           "deals": picks, "broker": str(loads.b.id)})
    assert response.status_code == 403
    assert _state(db_session, loads.deals) == before


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_changes(db_session, loads, client):
    before = _state(db_session, loads.deals)
    response = client.post(REASSIGN, data={
        "csrf_token": csrf_token(client, "/auth/login"),
        "deals": [f"{d.id}:{d.version}" for d in loads.deals], "broker": str(loads.b.id)})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _state(db_session, loads.deals) == before


@pytest.mark.parametrize(("data", "message"), [
    ({"deals": []}, "请至少勾选一个要改派的项目。"),
    ({"deals": ["12:x"]}, "无法读取勾选的项目：请刷新页面后重新勾选。"),
    ({"deals": ["9999999999:1"]}, "无法读取勾选的项目：请刷新页面后重新勾选。"),  # no INTEGER
    ({"broker": ""}, "请选择经纪人。"),
])
def test_an_incomplete_reassignment_says_what_is_missing_and_changes_nothing(
        db_session, loads, sign_in, data, message):
    client = sign_in(loads.operator)
    page = client.get(OVERVIEW).get_data(as_text=True)
    before = _state(db_session, loads.deals)
    form = {"deals": _picks(page, loads.deals[0]), "broker": str(loads.b.id), **data}
    response = client.post(REASSIGN, data={"csrf_token": csrf_token(client, OVERVIEW), **form},
                           follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert _state(db_session, loads.deals) == before


def test_a_target_who_is_no_longer_an_active_broker_is_refused(db_session, loads, sign_in):
    client = sign_in(loads.operator)
    page = client.get(OVERVIEW).get_data(as_text=True)
    before = _state(db_session, loads.deals)
    auth.set_account_status(db_session, loads.b, "disabled")  # after the page was loaded
    db_session.commit()
    response = client.post(REASSIGN, data={
        "csrf_token": csrf_token(client, OVERVIEW), "deals": _picks(page, *loads.deals),
        "broker": str(loads.b.id)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "将勾选的项目改派给: 不是有效的选择。" in html
    assert _state(db_session, loads.deals) == before


def test_the_batch_service_refuses_a_non_operator_before_changing_anything(db_session, loads):
    before = _state(db_session, loads.deals)
    with pytest.raises(PermissionDeniedError):
        rebalance.reassign_deals(db_session, [(d.id, d.version) for d in loads.deals],
                                 loads.b, actor=loads.a)
    with pytest.raises(deals.RefusedError):
        rebalance.reassign_deals(db_session, [(d.id, d.version) for d in loads.deals],
                                 loads.operator, actor=loads.operator)
    assert _state(db_session, loads.deals) == before
