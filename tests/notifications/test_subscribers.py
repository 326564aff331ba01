"""Notifications that follow the pipeline's signals: a deal assigned to a broker, and a
listing's owners told when a deal's signed contract transfers their output or solves their
need."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from matchmaker.domain import ContractType, Role, StageKey
from matchmaker.notifications.models import Notification
from matchmaker.notifications.rules import Kind
from matchmaker.pipeline import services as pipeline


def kinds_for(session, user) -> list[str]:
    return list(session.scalars(select(Notification.kind).where(
        Notification.recipient_id == user.id).order_by(Notification.id)))


def test_a_deal_an_operator_creates_for_a_broker_tells_the_broker(db_session, make_broker,
                                                                  make_user, open_deal):
    broker, operator = make_broker(), make_user(Role.ADMIN)
    deal = open_deal(broker, actor=operator, due=date.today() + timedelta(days=5))
    row = db_session.scalar(select(Notification).where(Notification.recipient_id == broker.id))
    assert (row.kind, row.params["deal"]) == (Kind.ASSIGNED, deal.title)
    assert (row.link_endpoint, row.link_args) == ("pipeline.detail", {"deal_id": deal.id})


def test_a_broker_creating_their_own_deal_is_not_told(db_session, make_broker, open_deal):
    broker = make_broker()
    open_deal(broker, due=date.today() + timedelta(days=5))
    assert kinds_for(db_session, broker) == []


def test_reassignment_tells_the_new_owner_each_time(db_session, make_broker, make_user,
                                                    open_deal):
    first, second, operator = make_broker(), make_broker(), make_user(Role.ADMIN)
    deal = open_deal(first, due=date.today() + timedelta(days=5))
    pipeline.reassign_deal(db_session, deal, second, actor=operator)
    pipeline.reassign_deal(db_session, deal, first, actor=operator)
    pipeline.reassign_deal(db_session, deal, second, actor=operator)
    assert kinds_for(db_session, second) == [Kind.ASSIGNED, Kind.ASSIGNED]
    assert kinds_for(db_session, first) == [Kind.ASSIGNED]


def test_a_signed_contract_tells_the_outputs_and_the_needs_owners(
        db_session, make_broker, make_user, make_institution, make_enterprise, make_output,
        make_need):
    institution, enterprise = make_institution(), make_enterprise()
    researcher = make_user(Role.INSTITUTION, organisation=institution)
    buyer = make_user(Role.ENTERPRISE, organisation=enterprise)
    broker = make_broker()
    output = make_output(institution=institution)
    need = make_need(enterprise=enterprise)
    deal = pipeline.create_deal(db_session, actor=broker, output=output, need=need,
                                next_step="Sign", next_step_due=date.today(),
                                stage_key=StageKey.INTRODUCED)
    assert kinds_for(db_session, researcher) == []  # under negotiation: nobody told yet
    pipeline.save_contract(db_session, deal, pipeline.ContractData(
        contract_type=ContractType.LICENCE, seller_name=institution.name,
        buyer_name=enterprise.name, total_amount=Decimal(80), signed_on=date.today()),
        actor=broker)
    assert output.status == "transferred" and need.status == "solved"
    assert kinds_for(db_session, researcher) == [Kind.OUTPUT_TRANSFERRED]
    assert kinds_for(db_session, buyer) == [Kind.NEED_SOLVED]
    row = db_session.scalar(select(Notification).where(
        Notification.recipient_id == researcher.id))
    assert row.params == {"listing": output.title, "deal": deal.title}
    assert (row.link_endpoint, row.link_args) == ("outputs.detail", {"item_id": output.id})
