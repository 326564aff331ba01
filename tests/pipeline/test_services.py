"""Pipeline services: roles, refusals in the user's language, NDA reveal, assignment,
introductions, optimistic locking, the list query against permissions, stages as data."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from matchmaker import permissions
from matchmaker.domain import IntroductionStatus, NdaStatus, OutputStatus, Role
from matchmaker.errors import NotFoundError, PermissionDeniedError, StaleObjectError
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import Deal, DealHistory, DealStage
from matchmaker.pipeline.services import RefusedError
from tests.factories import agree_terms


def _history_count(session, deal) -> int:
    return session.scalar(select(func.count()).select_from(DealHistory)
                          .where(DealHistory.deal_id == deal.id))


# --- roles ------------------------------------------------------------------------------------

@pytest.fixture
def outsiders(make_user, chain):
    """People who may not change a deal they do not work on."""
    return {"other broker": make_user(Role.BROKER, chains=[chain]),
            "institution": make_user(Role.INSTITUTION),
            "enterprise": make_user(Role.ENTERPRISE),
            "anonymous": None}


def _edits(session, deal, actor):
    """Every edit a deal's broker may make, as calls by actor."""
    due = clock.today() + timedelta(days=2)
    return {
        "update": lambda: services.update_deal(session, deal, actor=actor, version=None,
                                               title="改掉"),
        "move": lambda: services.move_deal(session, deal, "qualified", actor=actor),
        "next_step": lambda: services.set_next_step(session, deal, "改掉", due, actor=actor),
        "snooze": lambda: services.snooze_deal(session, deal, due, "等", actor=actor),
        "activity": lambda: services.add_activity(session, deal, "call", "打过电话", actor=actor),
        "task": lambda: services.add_task(session, deal, "任务", due, actor=actor),
        "ticket": lambda: services.add_ticket(session, deal, "policy", "政策", actor=actor),
        "nda": lambda: services.set_nda(session, deal, "sent", actor=actor),
        "contract": lambda: services.save_contract(
            session, deal, services.ContractData("licence", total_amount=Decimal(1)),
            actor=actor),
        "reassign": lambda: services.reassign_deal(session, deal, deal.owner, actor=actor),
    }


@pytest.mark.parametrize("who", ["other broker", "institution", "enterprise", "anonymous"])
def test_only_the_deals_brokers_and_operators_change_it(db_session, make_deal, outsiders, who):
    deal = make_deal()
    before = (deal.version, _history_count(db_session, deal), deal.title, deal.stage.key)
    actor = outsiders[who]
    for name, call in _edits(db_session, deal, actor).items():
        # none of them may even see the deal: its existence is not revealed
        with pytest.raises(NotFoundError):
            call()
        assert name
    db_session.expire_all()
    assert (deal.version, _history_count(db_session, deal), deal.title, deal.stage.key) == before


def test_the_deals_own_parties_see_it_and_comment_but_cannot_change_it(db_session, make_deal):
    deal = make_deal()
    institution_user = deal.output.created_by
    enterprise_user = deal.need.created_by
    for party in (institution_user, enterprise_user):
        assert services.get_deal(db_session, deal.id, viewer=party) is deal
        with pytest.raises(PermissionDeniedError):
            services.update_deal(db_session, deal, actor=party, version=None, title="改掉")
        with pytest.raises(PermissionDeniedError):
            services.add_activity(db_session, deal, "note", "内部备注", actor=party)
        services.add_activity(db_session, deal, "comment", "我们方便下周二面谈", actor=party)
    assert deal.title != "改掉"


def test_only_operators_reassign_even_the_owner_cannot(db_session, make_deal, make_user,
                                                       broker, chain):
    deal = make_deal(owner=broker)
    other = make_user(Role.BROKER, chains=[chain])
    with pytest.raises(PermissionDeniedError):
        services.reassign_deal(db_session, deal, other, actor=broker)
    assert deal.owner_id == broker.id


def test_a_co_broker_may_edit(db_session, make_deal, make_user, broker, chain):
    deal = make_deal(owner=broker)
    helper = make_user(Role.BROKER, chains=[chain])
    services.add_co_broker(db_session, deal, helper, actor=broker)
    services.set_next_step(db_session, deal, "协办人跟进检测", clock.today(), actor=helper)
    assert deal.next_step == "协办人跟进检测"


def test_institutions_and_enterprises_cannot_create_deals(db_session, make_output, make_need,
                                                          make_user):
    outputs = [make_output(), make_output()]
    for role, output in zip((Role.INSTITUTION, Role.ENTERPRISE), outputs, strict=True):
        with pytest.raises(PermissionDeniedError):
            services.create_deal(db_session, actor=make_user(role), output=output,
                                 next_step="x", next_step_due=clock.today())
    assert db_session.scalar(select(func.count()).select_from(Deal).where(Deal.output_id.in_(
        [o.id for o in outputs]))) == 0


# --- refusals say why, in the user's language -----------------------------------------------

def test_a_refused_move_says_why_in_chinese_and_in_english(app, db_session, make_deal, broker):
    deal = make_deal(owner=broker)
    services.move_deal(db_session, deal, "qualified", actor=broker)
    version = deal.version
    with pytest.raises(RefusedError) as refused:
        services.move_deal(db_session, deal, "introduced", actor=broker)
    assert refused.value.codes == ["ip_not_checked", "team_not_willing"]
    assert deal.stage.key == "qualified" and deal.version == version
    with app.test_request_context():
        with force_locale("zh"):
            assert str(refused.value.reasons["ip_checked"]) == "请先核实知识产权状况，再推进项目。"
        with force_locale("en"):
            assert str(refused.value.reasons["team_willing"]) == (
                "The research team has not confirmed it is willing to transfer.")


def test_an_open_deal_always_has_a_next_step(db_session, make_deal, broker):
    deal = make_deal(owner=broker)
    with pytest.raises(RefusedError) as refused:
        services.set_next_step(db_session, deal, "  ", clock.today(), actor=broker)
    assert refused.value.codes == ["next_step_required"]
    with pytest.raises(RefusedError):
        make_deal(next_step="")


# --- optimistic locking ------------------------------------------------------------------------

def test_an_edit_based_on_an_old_version_is_refused(db_session, make_deal, broker):
    deal = make_deal(owner=broker)
    seen = deal.version
    services.set_next_step(db_session, deal, "先发材料", clock.today(), actor=broker)
    assert deal.version == seen + 1
    with pytest.raises(StaleObjectError):
        services.update_deal(db_session, deal, actor=broker, version=seen, title="旧页面保存")
    with pytest.raises(StaleObjectError):
        services.move_deal(db_session, deal, "qualified", actor=broker, version=seen)
    assert deal.title != "旧页面保存" and deal.stage.key == "discovered"


# --- confidentiality ---------------------------------------------------------------------------

def test_the_confidential_note_is_revealed_to_the_enterprise_only_once_the_nda_is_signed(
        db_session, make_deal, make_output, make_user, broker, admin):
    output = make_output(owner=make_user(Role.INSTITUTION),
                         confidential_note="电极硫化工艺窗口：180–220 ℃，保温 2 h")
    deal = make_deal(owner=broker, output=output)
    enterprise = deal.need.created_by
    stranger = make_user(Role.ENTERPRISE)
    for viewer in (output.created_by, broker, admin):
        assert services.may_see_confidential(viewer, deal)
    assert not services.may_see_confidential(enterprise, deal)
    services.set_nda(db_session, deal, NdaStatus.SENT, actor=broker)
    assert not services.may_see_confidential(enterprise, deal)
    services.set_nda(db_session, deal, NdaStatus.SIGNED, actor=broker,
                     expires_on=clock.today() + timedelta(days=365))
    assert services.may_see_confidential(enterprise, deal)
    assert not services.may_see_confidential(stranger, deal)
    assert not services.may_see_confidential(None, deal)
    later = clock.today() + timedelta(days=366)
    assert not services.may_see_confidential(enterprise, deal, today=later)


def test_a_signed_nda_on_one_deal_reveals_nothing_of_another_output(db_session, make_deal,
                                                                      make_output, broker):
    deal = make_deal(owner=broker)
    other = make_output(confidential_note="另一成果的保密参数")
    services.set_nda(db_session, deal, NdaStatus.SIGNED, actor=broker)
    assert not services.may_see_confidential(deal.need.created_by, deal, other)


# --- assignment and introductions ---------------------------------------------------------------

def test_an_operators_new_deal_goes_to_the_least_loaded_specialist(
        db_session, make_deal, make_output, make_user, admin, broker, chain):
    busy = broker
    idle = make_user(Role.BROKER, chains=[chain])
    make_user(Role.BROKER, chains=[])  # no specialty, no deals: not chosen while specialists exist
    make_deal(owner=busy)
    deal = services.create_deal(db_session, actor=admin, output=make_output(chain_key=chain.key),
                                next_step="分派后联系", next_step_due=clock.today())
    assert deal.owner_id == idle.id


def test_an_introduction_request_becomes_a_deal_at_introduced(db_session, make_output,
                                                               make_need, broker, make_user, chain):
    output = make_output(chain_key=chain.key)
    need = make_need(owner=make_user(Role.ENTERPRISE), chain_key=chain.key)
    enterprise = need.created_by
    request = services.ask_introduction(db_session, need=need, output=output, actor=enterprise,
                                        message="希望了解授权条件")
    assert request.broker_id == broker.id and request.status == IntroductionStatus.PENDING
    assert permissions.can(enterprise, "view", request)
    assert not permissions.can(enterprise, "decide", request)
    assert services.ask_introduction(db_session, need=need, output=output,
                                     actor=enterprise) is request  # asking twice: one request
    deal = services.accept_introduction(db_session, request, actor=broker,
                                        next_step="约双方线上会", next_step_due=clock.today())
    assert (deal.stage.key, deal.owner_id, deal.output_id, deal.need_id) == (
        "introduced", broker.id, output.id, need.id)
    assert request.status == IntroductionStatus.ACCEPTED and request.deal_id == deal.id
    assert output.status == OutputStatus.UNDER_NEGOTIATION
    with pytest.raises(RefusedError):
        services.decline_introduction(db_session, request, actor=broker, note="已处理")


def test_an_introduction_goes_to_the_broker_already_on_the_need(db_session, make_deal,
                                                               make_output, make_user, chain):
    owner = make_user(Role.BROKER, chains=[])
    deal = make_deal(owner=owner, output=None)
    request = services.ask_introduction(db_session, need=deal.need, output=make_output(),
                                        actor=deal.need.created_by)
    assert request.broker_id == owner.id


def test_an_introduction_is_declined_with_a_reason_and_only_by_its_broker(
        db_session, make_output, make_need, make_user, broker, chain):
    output = make_output(owner=make_user(Role.INSTITUTION), chain_key=chain.key)
    need = make_need(chain_key=chain.key)
    request = services.ask_introduction(db_session, need=need, output=output,
                                        actor=output.created_by)
    other = make_user(Role.BROKER, chains=[chain])
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        services.decline_introduction(db_session, request, actor=other, note="不是我的")
    with pytest.raises(RefusedError):
        services.decline_introduction(db_session, request, actor=broker, note="")
    services.decline_introduction(db_session, request, actor=broker, note="成果已独占许可给他人")
    assert request.status == IntroductionStatus.DECLINED


def test_only_a_listings_own_side_asks_for_an_introduction(db_session, make_output, make_need,
                                                           make_user):
    with pytest.raises(PermissionDeniedError):
        services.ask_introduction(db_session, need=make_need(), output=make_output(),
                                  actor=make_user(Role.ENTERPRISE))


# --- the list query is the permission rule in SQL --------------------------------------------

def test_list_deals_query_shows_exactly_what_permissions_let_each_viewer_see(
        db_session, make_deal, make_user, broker, admin, chain):
    helper = make_user(Role.BROKER, chains=[chain])
    deals = [make_deal(owner=broker), make_deal(owner=broker, output=None),
             make_deal(owner=broker, need=None)]
    services.add_co_broker(db_session, deals[1], helper, actor=broker)
    lost = make_deal(owner=broker)
    services.move_deal(db_session, lost, "lost", actor=broker, reason="x", lost_reason="other")
    ours = [*deals, lost]
    viewers = [broker, helper, admin, make_user(Role.BROKER, chains=[chain]),
               deals[0].output.created_by, deals[0].need.created_by,
               deals[2].output.created_by, make_user(Role.ENTERPRISE), None]
    filters = services.DealFilters(include_lost=True)
    for viewer in viewers:
        listed = set(db_session.scalars(services.list_deals_query(viewer, filters)))
        expected = {d for d in ours if permissions.can(viewer, "view", d)}
        assert listed & set(ours) == expected, viewer


def test_list_filters(db_session, make_deal, broker):
    today = clock.today()
    late = make_deal(owner=broker, next_step_due=today - timedelta(days=1),
                     expected_value=Decimal(500))
    idle = make_deal(owner=broker)
    with clock.at(clock.now() - timedelta(days=40)):
        stale = make_deal(owner=broker, next_step_due=today + timedelta(days=3))
    snoozed = make_deal(owner=broker)
    snoozed.last_activity_at = clock.now() - timedelta(days=40)
    db_session.flush()
    services.snooze_deal(db_session, snoozed, today + timedelta(days=5), "等专利授权",
                         actor=broker)

    def ids(**kw):
        stmt = services.list_deals_query(broker, services.DealFilters(**kw),
                                         stages=services.list_stages(db_session))
        return {d.id for d in db_session.scalars(stmt)}

    assert ids(overdue=True) == {late.id}
    assert ids(stale=True) == {stale.id}
    assert ids(value_min=Decimal(300)) == {late.id}
    assert idle.id in ids(stage="discovered", chain=idle.chain.key)
    assert ids(phase="land") == set()


# --- stages are data ----------------------------------------------------------------------------

def test_an_operator_renames_a_stage_and_adds_a_sub_step(db_session, make_deal, admin, broker):
    stage = services.get_stage(db_session, "negotiating")
    services.save_stage(db_session, "negotiating", services.StageData(
        phase="land", position=stage.position, name_zh="商务谈判", name_en="Negotiation",
        default_probability=50, stale_after_days=14, requirements=("terms",)), actor=admin)
    services.save_stage(db_session, "due_diligence", services.StageData(
        phase="land", position=45, name_zh="尽职调查", name_en="Due diligence",
        default_probability=60, stale_after_days=21), actor=admin)
    assert stage.name_zh == "商务谈判"
    deal = make_deal(owner=broker, stage_key="negotiating")
    with pytest.raises(RefusedError) as refused:  # passing due diligence still needs the terms
        services.move_deal(db_session, deal, "contract_signed", actor=broker)
    assert "price_missing" in refused.value.codes
    agree_terms(db_session, deal, broker)
    services.move_deal(db_session, deal, "due_diligence", actor=broker)
    assert services.board_summary(db_session, broker)[4].stage.key == "due_diligence"
    assert deal.stage.key == "due_diligence"
    with pytest.raises(PermissionDeniedError):
        services.save_stage(db_session, "x", services.StageData("land", 1, "x", "x"),
                            actor=broker)
    assert db_session.scalar(select(DealStage).where(DealStage.key == "x")) is None


def test_expected_value_on_the_board_follows_probability_overrides(db_session, make_deal,
                                                                    broker):
    deal = make_deal(owner=broker, expected_value=Decimal(100))
    services.update_deal(db_session, deal, actor=broker, version=deal.version, probability=50)
    column = next(c for c in services.board_summary(db_session, broker)
                  if c.stage.key == "discovered")
    assert (column.count, column.value, column.expected_value) == (
        1, Decimal("100.00"), Decimal("50.00"))


def test_snoozing_needs_a_future_date_and_a_reason(db_session, make_deal, broker):
    deal = make_deal(owner=broker)
    with pytest.raises(RefusedError):
        services.snooze_deal(db_session, deal, clock.today(), "x", actor=broker)
    with pytest.raises(RefusedError):
        services.snooze_deal(db_session, deal, clock.today() + timedelta(days=3), "",
                             actor=broker)
    services.snooze_deal(db_session, deal, date(2099, 1, 1), "等预算周期", actor=broker)
    services.snooze_deal(db_session, deal, None, actor=broker)
    assert deal.snoozed_until is None and deal.snooze_reason == ""


def test_an_edit_without_the_confidential_field_keeps_the_note(db_session, make_output,
                                                               make_user):
    from matchmaker.profiles import services as profiles

    output = make_output(owner=make_user(Role.INSTITUTION), confidential_note="保密工艺参数")
    data = profiles.OutputData(title=output.title, abstract=output.abstract, trl=output.trl,
                               modes=list(output.modes), chain_key=output.chain.key)
    profiles.update_output(db_session, output, data, editor=output.created_by,
                           version=output.version)
    assert output.confidential_note == "保密工艺参数"


def test_a_deals_page_reads_its_timeline_activities_tasks_and_tickets(db_session, make_deal,
                                                                      broker):
    deal = make_deal(owner=broker)
    services.add_activity(db_session, deal, "call", "第一次电话", actor=broker)
    later = services.add_activity(db_session, deal, "visit", "走访实验室", actor=broker,
                                  happened_at=clock.now() + timedelta(minutes=5))
    done = services.add_task(db_session, deal, "已完成的任务", clock.today(), actor=broker)
    services.complete_task(db_session, done, actor=broker)
    todo = services.add_task(db_session, deal, "待办", clock.today() + timedelta(days=1),
                             actor=broker)
    ticket = services.add_ticket(db_session, deal, "legal", "法律咨询", actor=broker)
    assert services.list_activities(db_session, deal)[0] is later
    assert services.list_tasks(db_session, deal) == [todo, done]
    assert services.list_tickets(db_session, deal) == [ticket]
    timeline = services.list_history(db_session, deal)
    assert timeline[0].kind == "ticket" and timeline[-1].kind == "created"


def test_introduction_lists_follow_the_permission_rule(db_session, make_output, make_need,
                                                       broker, admin, make_user, chain):
    need = make_need(owner=make_user(Role.ENTERPRISE), chain_key=chain.key)
    request = services.ask_introduction(db_session, need=need,
                                        output=make_output(chain_key=chain.key),
                                        actor=need.created_by)
    other = make_user(Role.BROKER, chains=[chain])
    for viewer in (need.created_by, broker, admin, other, make_user(Role.ENTERPRISE), None):
        listed = request in services.list_introductions(db_session, viewer)
        assert listed == permissions.can(viewer, "view", request), viewer
    assert services.list_introductions(db_session, broker, pending_only=True) == [request]


def test_the_nightly_job_expires_ndas_past_their_date(db_session, make_deal, broker):
    from matchmaker.jobs import JobContext
    from matchmaker.pipeline.jobs import expire_ndas_job

    lapsed, current = make_deal(owner=broker), make_deal(owner=broker)
    services.set_nda(db_session, lapsed, NdaStatus.SIGNED, actor=broker,
                     expires_on=clock.today() - timedelta(days=1))
    services.set_nda(db_session, current, NdaStatus.SIGNED, actor=broker,
                     expires_on=clock.today())
    assert not services.may_see_confidential(lapsed.need.created_by, lapsed)
    result = expire_ndas_job(JobContext(db_session, 0))
    assert result["expired"] >= 1
    assert (lapsed.nda_status, current.nda_status) == (NdaStatus.EXPIRED, NdaStatus.SIGNED)
    row = services.list_history(db_session, lapsed)[0]
    assert (row.kind, row.field, row.old_value, row.new_value, row.actor_id) == (
        "nda", "nda_status", "signed", "expired", None)
