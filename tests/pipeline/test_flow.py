"""A deal carried from discovery to the showcase through the services, and what that does to
its listings, its history and the broker's figures."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.domain import NeedStatus, OutputStatus, Role
from matchmaker.errors import PermissionDeniedError
from matchmaker.pipeline import clock, rules, services
from matchmaker.pipeline.models import DealHistory
from tests.factories import agree_terms, qualify, sign_contract


def _kinds(session, deal):
    return [(h.kind, h.field) for h in session.scalars(
        select(DealHistory).where(DealHistory.deal_id == deal.id).order_by(DealHistory.id))]


def test_a_deal_goes_from_discovered_to_showcased(db_session, make_deal, broker, region):
    deal = make_deal(owner=broker)
    output, need = deal.output, deal.need
    assert deal.stage.key == "discovered" and deal.owner_id == broker.id and deal.is_open
    qualify(db_session, deal, broker)
    services.move_deal(db_session, deal, "qualified", actor=broker)
    services.move_deal(db_session, deal, "introduced", actor=broker)
    assert (output.status, need.status) == (OutputStatus.UNDER_NEGOTIATION, NeedStatus.MATCHED)
    services.move_deal(db_session, deal, "negotiating", actor=broker)
    agree_terms(db_session, deal, broker)
    services.move_deal(db_session, deal, "contract_signed", actor=broker)
    assert output.status == OutputStatus.UNDER_NEGOTIATION  # no contract recorded yet
    sign_contract(db_session, deal, broker)
    assert (output.status, need.status) == (OutputStatus.TRANSFERRED, NeedStatus.SOLVED)
    services.mark_landed(db_session, deal, actor=broker, name="西咸氢电科技有限公司",
                         region=region, landed_on=date(2026, 11, 28))
    assert deal.local_conversion is True
    services.move_deal(db_session, deal, "landed", actor=broker)
    services.move_deal(db_session, deal, "serving", actor=broker)
    services.add_ticket(db_session, deal, "financing", "申请技术交易信用贷", actor=broker,
                        financing_kind="loan", amount_raised=Decimal(300))
    services.update_deal(db_session, deal, actor=broker, version=deal.version,
                         showcase_material="路演视频与样机照片")
    services.move_deal(db_session, deal, "showcased", actor=broker)
    assert deal.stage.key == "showcased"
    assert ("stage", "stage") in _kinds(db_session, deal)


def test_losing_the_only_landing_deal_puts_the_listings_back_on_the_market(
        db_session, make_deal, broker):
    deal = make_deal(owner=broker, stage_key="introduced")
    assert deal.output.status == OutputStatus.UNDER_NEGOTIATION
    services.move_deal(db_session, deal, "lost", actor=broker, reason="企业预算冻结",
                       lost_reason="no_budget")
    assert not deal.is_open and deal.lost_reason == "no_budget"
    assert (deal.output.status, deal.need.status) == (OutputStatus.PUBLISHED,
                                                      NeedStatus.PUBLISHED)


def test_another_landing_deal_keeps_the_listing_under_negotiation(
        db_session, make_deal, broker):
    first = make_deal(owner=broker, stage_key="introduced")
    make_deal(stage_key="negotiating", output=first.output, need=None)
    services.move_deal(db_session, first, "lost", actor=broker, reason="没谈拢",
                       lost_reason="price")
    assert first.output.status == OutputStatus.UNDER_NEGOTIATION
    assert first.need.status == NeedStatus.PUBLISHED


def test_an_owner_can_no_longer_mark_an_output_transferred_by_hand(db_session, make_output,
                                                                  make_user):
    from matchmaker.errors import InvalidTransitionError
    from matchmaker.profiles import services as profiles

    output = make_output(owner=make_user(Role.INSTITUTION))
    owner = output.created_by
    for status in (OutputStatus.UNDER_NEGOTIATION, OutputStatus.TRANSFERRED):
        with pytest.raises(InvalidTransitionError):
            profiles.change_output_status(db_session, output, status, editor=owner)
    assert output.status == OutputStatus.PUBLISHED


def test_withdrawing_an_output_leaves_its_deals_open_with_a_history_row(
        db_session, make_deal):
    from matchmaker.profiles import services as profiles

    deal = make_deal(stage_key="introduced")
    profiles.change_output_status(db_session, deal.output, OutputStatus.WITHDRAWN,
                                  editor=deal.output.created_by)
    assert deal.is_open
    last = db_session.scalars(select(DealHistory).where(DealHistory.deal_id == deal.id)
                              .order_by(DealHistory.id.desc())).first()
    assert (last.kind, last.field, last.new_value, last.actor_id) == (
        "field", "output_status", "withdrawn", None)


def test_today_and_board_count_what_the_broker_owns(db_session, make_deal, broker):
    today = clock.today()
    late = make_deal(owner=broker, next_step_due=today - timedelta(days=2))
    due = make_deal(owner=broker, next_step_due=today, expected_value=Decimal(200))
    lists = services.today_lists(db_session, broker)
    assert [d.id for d in lists.overdue] == [late.id] and [d.id for d in lists.due] == [due.id]
    column = next(c for c in services.board_summary(db_session, broker)
                  if c.stage.key == "discovered")
    assert column.count == 2 and column.value == Decimal("320.00")
    assert column.expected_value == Decimal("16.00")  # 5 % of 320


def test_an_operator_reassigns_and_sees_figures(db_session, make_deal, make_user, admin, chain):
    deal = make_deal()
    other = make_user(Role.BROKER, chains=[chain])
    services.reassign_deal(db_session, deal, other, actor=admin)
    assert deal.owner_id == other.id
    figures = services.operator_figures(db_session, actor=admin)
    assert figures.total >= 1 and any(row.user.id == other.id for row in figures.loads)


def test_operator_figures_count_the_funnel_and_days_per_stage(db_session, make_deal, broker,
                                                               admin):
    before = services.operator_figures(db_session, actor=admin)
    start = clock.now() - timedelta(days=30)
    with clock.at(start):
        first, second = make_deal(owner=broker), make_deal(owner=broker)
    with clock.at(start + timedelta(days=6)):
        services.move_deal(db_session, first, "qualified", actor=broker)
    with clock.at(start + timedelta(days=10)):
        qualify(db_session, first, broker)
        services.move_deal(db_session, first, "introduced", actor=broker)
    after = services.operator_figures(db_session, actor=admin)
    grew = [a[1] - b[1] for a, b in zip(after.funnel, before.funnel, strict=True)]
    assert [s.key for s, _ in after.funnel][:3] == ["discovered", "qualified", "introduced"]
    assert grew[:4] == [2, 1, 1, 0]
    assert after.total == before.total + 2 and after.converted == before.converted
    assert second.stage.key == "discovered"
    with pytest.raises(PermissionDeniedError):
        services.operator_figures(db_session, actor=broker)


def test_median_days_per_stage_on_deals_of_their_own(db_session, make_deal, broker, admin):
    from matchmaker.pipeline import queries

    start = clock.now() - timedelta(days=50)
    deals = []
    for days in (2, 4, 30):
        with clock.at(start):
            deal = make_deal(owner=broker)
        with clock.at(start + timedelta(days=days)):
            services.move_deal(db_session, deal, "qualified", actor=broker)
        deals.append(deal.id)
    paths = queries._stage_paths(db_session)
    durations = [d for deal_id in deals for key, d in rules.stage_durations(paths[deal_id])
                 if key == "discovered"]
    assert rules.median_days(durations) == 4.0


def test_today_lists_stop_at_the_limit_and_count_all(db_session, make_deal, broker):
    today = clock.today()
    late = [make_deal(owner=broker, next_step_due=today - timedelta(days=n), output=None)
            for n in (1, 5, 3)]
    lists = services.today_lists(db_session, broker, limit=2)
    assert [d.id for d in lists.overdue] == [late[1].id, late[2].id]  # oldest first
    assert lists.counts["overdue"] == 3 and lists.counts["due"] == 0
