"""Every change to a deal writes exactly the expected history rows (who, what, old, new), and
history rows are never changed or deleted by the app."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.domain import Role
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import DealHistory, HistoryIsAppendOnlyError
from tests.factories import agree_terms, qualify, sign_contract


@pytest.fixture
def rows(db_session):
    """Return rows(deal): the deal's history rows written since the previous call."""
    seen: dict[int, int] = {}

    def _rows(deal):
        found = db_session.scalars(select(DealHistory).where(
            DealHistory.deal_id == deal.id, DealHistory.id > seen.get(deal.id, 0))
            .order_by(DealHistory.id)).all()
        if found:
            seen[deal.id] = found[-1].id
        return [(h.kind, h.field, h.old_value, h.new_value) for h in found]

    return _rows


def test_creating_a_deal_writes_one_created_row_by_its_author(db_session, make_deal, broker,
                                                               rows):
    deal = make_deal(owner=broker, output=None)
    history = db_session.scalars(select(DealHistory).where(DealHistory.deal_id == deal.id)).all()
    assert rows(deal) == [("created", "stage", None, "discovered")]
    assert history[0].actor_id == broker.id


def test_creating_at_introduced_also_records_the_listing_statuses(make_deal, rows):
    deal = make_deal(stage_key="introduced")
    assert rows(deal) == [("created", "stage", None, "introduced"),
                          ("field", "output_status", "published", "under_negotiation"),
                          ("field", "need_status", "published", "matched")]


def test_a_field_edit_writes_one_row_per_changed_field(db_session, make_deal, broker, rows):
    deal = make_deal(owner=broker, output=None)
    rows(deal)
    services.update_deal(db_session, deal, actor=broker, version=deal.version,
                         expected_value=Decimal(120),  # unchanged: no row
                         title="新标题", probability=60, ip_checked=True)
    assert rows(deal) == [("field", "title", deal.need.title, "新标题"),
                          ("field", "probability", None, "60"),
                          ("field", "ip_checked", "false", "true")]
    services.update_deal(db_session, deal, actor=broker, version=deal.version, title="新标题")
    assert rows(deal) == []


def test_a_stage_move_writes_one_row_with_the_reason(db_session, make_deal, broker, rows):
    deal = make_deal(owner=broker, output=None)
    rows(deal)
    services.move_deal(db_session, deal, "qualified", actor=broker)
    assert rows(deal) == [("stage", "stage", "discovered", "qualified")]
    services.move_deal(db_session, deal, "discovered", actor=broker, reason="团队意愿待确认")
    note = db_session.scalars(select(DealHistory.note).order_by(DealHistory.id.desc())).first()
    assert rows(deal) == [("stage", "stage", "qualified", "discovered")]
    assert note == "团队意愿待确认"


def test_lost_and_reopened_write_the_stage_and_the_lost_reason(db_session, make_deal, broker,
                                                                rows):
    deal = make_deal(owner=broker, output=None)
    rows(deal)
    services.move_deal(db_session, deal, "lost", actor=broker, reason="企业年内无预算",
                       lost_reason="no_budget")
    assert rows(deal) == [("stage", "stage", "discovered", "lost"),
                          ("field", "lost_reason", None, "no_budget")]
    services.move_deal(db_session, deal, "discovered", actor=broker, reason="新财年预算到位")
    assert rows(deal) == [("stage", "stage", "lost", "discovered"),
                          ("field", "lost_reason", "no_budget", None)]


def test_next_step_snooze_activity_comment_task_rows(db_session, make_deal, broker, rows):
    deal = make_deal(owner=broker, output=None)
    rows(deal)
    due = clock.today() + timedelta(days=3)
    services.set_next_step(db_session, deal, "发送报价单", due, actor=broker)
    assert rows(deal) == [("next_step", "next_step", "约课题组负责人面谈", "发送报价单"),
                          ("next_step", "next_step_due",
                           (clock.today() + timedelta(days=7)).isoformat(), due.isoformat())]
    until = clock.today() + timedelta(days=30)
    services.snooze_deal(db_session, deal, until, "等待专利授权", actor=broker)
    assert rows(deal) == [("snooze", "snoozed_until", None, until.isoformat())]
    services.add_activity(db_session, deal, "call", "与企业技术总监通话", actor=broker)
    assert rows(deal) == [("activity", "call", None, "与企业技术总监通话")]
    enterprise_user = db_session.get(type(broker), deal.need.created_by_id)
    services.add_activity(db_session, deal, "comment", "请尽快安排样机测试", actor=enterprise_user)
    assert rows(deal) == [("comment", "comment", None, "请尽快安排样机测试")]
    task = services.add_task(db_session, deal, "整理检测报告", due, actor=broker)
    assert rows(deal) == [("task", "task", None, "整理检测报告")]
    services.complete_task(db_session, task, actor=broker)
    assert rows(deal) == [("task", "done", "false", "true")]


def test_tickets_nda_contract_and_landing_rows(db_session, make_deal, broker, region, rows):
    deal = make_deal(owner=broker, stage_key="negotiating")
    rows(deal)
    services.set_nda(db_session, deal, "signed", actor=broker, expires_on=date(2027, 6, 30))
    assert rows(deal) == [("nda", "nda_status", "none", "signed"),
                          ("nda", "nda_expires_on", None, "2027-06-30")]
    agree_terms(db_session, deal, broker)
    rows(deal)
    sign_contract(db_session, deal, broker)
    contract_rows = rows(deal)
    assert [r[:2] for r in contract_rows if r[0] == "contract"] == [
        ("contract", "contract_type"), ("contract", "seller_name"), ("contract", "buyer_name"),
        ("contract", "total_amount"), ("contract", "technical_amount"),
        ("contract", "signed_on")]
    assert [r for r in contract_rows if r[0] != "contract"] == [
        ("field", "output_status", "under_negotiation", "transferred"),
        ("field", "need_status", "matched", "solved")]
    sign_contract(db_session, deal, broker, registration_no="2026610113000123")
    assert rows(deal) == [("contract", "registration_no", "", "2026610113000123")]
    services.mark_landed(db_session, deal, actor=broker, name="沣渭氢电", region=region,
                         landed_on=date(2026, 11, 28))
    assert rows(deal) == [("field", "landing_name", "", "沣渭氢电"),
                          ("field", "landing_region", None, str(region.id)),
                          ("field", "landed_on", None, "2026-11-28"),
                          ("field", "local_conversion", None, "true")]
    ticket = services.add_ticket(db_session, deal, "registration", "办理公司注册", actor=broker)
    assert rows(deal) == [("ticket", "ticket", None, "registration")]
    services.update_ticket(db_session, ticket, actor=broker, status="done", outcome="已取得营业执照")
    assert rows(deal) == [("ticket", "status", "open", "done"),
                          ("ticket", "outcome", "", "已取得营业执照")]


def test_co_brokers_and_reassignment_rows(db_session, make_deal, make_user, broker, admin,
                                          chain, rows):
    deal = make_deal(owner=broker, output=None)
    other = make_user(Role.BROKER, chains=[chain])
    rows(deal)
    services.add_co_broker(db_session, deal, other, actor=broker)
    assert rows(deal) == [("co_broker", "co_broker", None, str(other.id))]
    services.remove_co_broker(db_session, deal, other, actor=broker)
    assert rows(deal) == [("co_broker", "co_broker", str(other.id), None)]
    services.reassign_deal(db_session, deal, other, actor=admin)
    assert rows(deal) == [("assign", "owner", str(broker.id), str(other.id))]


def test_every_history_row_names_its_actor(db_session, make_deal, broker):
    deal = make_deal(owner=broker, output=None)
    qualify(db_session, deal, broker)
    services.move_deal(db_session, deal, "qualified", actor=broker)
    actors = db_session.scalars(select(DealHistory.actor_id).where(
        DealHistory.deal_id == deal.id)).all()
    assert actors and set(actors) == {broker.id}


def test_the_app_refuses_to_change_or_delete_a_history_row(db_session, make_deal):
    deal = make_deal(output=None)
    row = db_session.scalars(select(DealHistory).where(DealHistory.deal_id == deal.id)).first()
    row.note = "rewritten"
    with pytest.raises(HistoryIsAppendOnlyError):
        db_session.flush()
    db_session.refresh(row)  # the refusal came before any SQL: the session goes on
    assert row.note == ""
    db_session.delete(row)
    with pytest.raises(HistoryIsAppendOnlyError):
        db_session.flush()
