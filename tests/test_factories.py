"""The factories build real, consistent records through the services."""
from matchmaker import permissions
from matchmaker.domain import Role
from matchmaker.profiles.services import list_publish_shortfalls


def test_make_output_and_make_need_publish_by_default(make_output, make_need):
    output, need = make_output(), make_need()
    assert (output.status, need.status) == ("published", "published")
    assert output.published_at is not None and need.published_at is not None
    assert list_publish_shortfalls(output) == [] and list_publish_shortfalls(need) == []


def test_make_output_takes_overrides_status_and_owner(make_output, make_user):
    owner = make_user(Role.INSTITUTION)
    output = make_output(owner=owner, status="withdrawn", trl=8, title="飞秒激光微孔加工工艺")
    assert (output.status, output.trl, output.title) == ("withdrawn", 8, "飞秒激光微孔加工工艺")
    assert output.institution is owner.institution and output.created_by is owner


def test_make_user_joins_a_given_organisation_and_signs_in(make_user, make_institution,
                                                          sign_in):
    org = make_institution()
    user = make_user(Role.INSTITUTION, organisation=org)
    assert user.institution is org and user.status == "active"
    assert permissions.member_of_institution(user, org.id)
    assert sign_in(user).get("/account").status_code == 200


def test_make_broker_and_inactive_accounts(make_broker, make_user):
    broker = make_broker()
    assert broker.broker is not None and permissions.is_broker(broker)
    disabled = make_user(Role.ENTERPRISE, status="disabled")
    assert permissions.role_of(disabled) is None


def test_make_broker_specialises_in_chains_of_the_tests_own(make_broker, make_chain):
    chain = make_chain()
    broker = make_broker(chains=[chain])
    waiting = make_broker(chains=[chain.key], status="pending")
    assert broker.broker.chains == [chain] and waiting.broker.chains == [chain]
    assert waiting.status == "pending" and permissions.is_broker(broker)


def test_make_deal_makes_a_brokers_deal_on_new_listings_with_their_owners(make_deal,
                                                                         make_broker):
    owner = make_broker()
    deal = make_deal(owner=owner)
    assert (deal.stage.key, deal.owner, deal.is_open) == ("discovered", owner, True)
    assert deal.output.created_by.role == Role.INSTITUTION
    assert deal.need.created_by.role == Role.ENTERPRISE
    assert deal.output.created_by.institution is deal.output.institution
    alone = make_deal(need=None)
    assert alone.need is None and permissions.is_broker(alone.owner)


def test_make_deal_reaches_a_stage_one_move_at_a_time_recording_what_each_needs(
        db_session, make_deal):
    from sqlalchemy import select

    from matchmaker.pipeline.models import DealHistory

    deal = make_deal(stage_key="showcased")
    stages = db_session.scalars(select(DealHistory.new_value).where(
        DealHistory.deal_id == deal.id, DealHistory.field == "stage")
        .order_by(DealHistory.id)).all()
    assert stages == ["introduced", "negotiating", "contract_signed", "landed", "serving",
                      "showcased"]
    assert (deal.output.status, deal.need.status) == ("transferred", "solved")
    assert deal.contract.total_amount > 0 and deal.local_conversion is True
    assert deal.price is not None and deal.showcase_material


def test_make_deal_to_lost_closes_it_with_a_reason(make_deal):
    deal = make_deal(stage_key="lost")
    assert (deal.stage.key, deal.is_open, deal.lost_reason) == ("lost", False, "other")
