"""The stage services: adding a sub-step, editing and moving stages, every refusal with its
message (naming the field), who may, optimistic locking, the append-only record of changes,
and a new sub-step working end to end (moves, board totals, today's stale list)."""
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from matchmaker import permissions
from matchmaker.domain import Role
from matchmaker.errors import PermissionDeniedError, StaleObjectError
from matchmaker.pipeline import clock, pages, services
from matchmaker.pipeline.models import DealStage, HistoryIsAppendOnlyError, StageChange
from matchmaker.pipeline.services import RefusedError


def _positions(session) -> dict[str, int]:
    return {s.key: s.position for s in session.scalars(select(DealStage))}


def _in(app, code: str, message) -> str:
    """Return a lazy message as it reads in the language code."""
    with app.test_request_context(), force_locale(code):
        return str(message)


def _snapshot(session) -> tuple:
    """Everything a stage service could change: the stages and the change record."""
    stages = sorted((s.key, s.phase, s.position, s.name_zh, s.name_en, s.default_probability,
                     s.stale_after_days, tuple(s.requirements), s.is_active, s.version)
                    for s in session.scalars(select(DealStage)))
    return stages, session.scalar(select(func.count()).select_from(StageChange))


def _add_due_diligence(session, operator, key="due_diligence", **overrides):
    values = {"after": "introduced", "actor": operator, "name_zh": "尽职调查",
              "name_en": "Due diligence", "default_probability": 35, "stale_after_days": 3,
              **overrides}
    return services.add_stage(session, key, **values)


def _edit(session, key, operator, **changes):
    stage = services.get_stage(session, key)
    values = {"name_zh": stage.name_zh, "name_en": stage.name_en,
              "default_probability": stage.default_probability,
              "stale_after_days": stage.stale_after_days,
              "requirements": tuple(stage.requirements), "is_active": stage.is_active,
              "version": stage.version, **changes}
    return services.update_stage(session, key, actor=operator, **values)


# --- adding, editing, moving -------------------------------------------------------------------

def test_a_sub_step_goes_right_after_the_chosen_stage_in_its_phase_and_later_ones_shift(
        db_session, operator):
    before = _positions(db_session)
    stage = _add_due_diligence(db_session, operator)
    after = _positions(db_session)
    assert stage.phase == "land" and stage.is_active and stage.requirements == []
    assert before["introduced"] < after["due_diligence"] < after["negotiating"]
    for key in ("discovered", "qualified", "introduced"):
        assert after[key] == before[key], key
    for key in ("negotiating", "contract_signed", "landed", "serving", "showcased", "lost"):
        assert after[key] > before[key], key
    order = [s.key for s in services.list_stages(db_session)]
    assert order.index("due_diligence") == order.index("introduced") + 1


def test_each_change_is_recorded_with_who_when_old_and_new(db_session, operator):
    moment = clock.now()
    with clock.at(moment):
        _add_due_diligence(db_session, operator)
        _edit(db_session, "negotiating", operator, name_en="Negotiation",
              default_probability=50)
    rows = db_session.scalars(select(StageChange).order_by(StageChange.id)).all()
    created = [r for r in rows if r.stage.key == "due_diligence"]
    assert {(r.action, r.field, r.new_value) for r in created} >= {
        ("created", "key", "due_diligence"), ("created", "name_en", "Due diligence"),
        ("created", "default_probability", "35"), ("created", "stale_after_days", "3")}
    shifted = [r for r in rows if r.action == "moved"]
    assert {r.stage.key for r in shifted} == {"negotiating", "contract_signed", "landed",
                                              "serving", "showcased", "lost"}
    edits = [(r.field, r.old_value, r.new_value) for r in rows if r.action == "changed"]
    assert edits == [("name_en", "Negotiating", "Negotiation"),
                     ("default_probability", "45", "50")]
    naive = moment.replace(tzinfo=None)  # SQLite hands times back naive, in UTC
    assert {(r.actor_id, r.at.replace(tzinfo=None)) for r in rows} == {(operator.id, naive)}


def test_saving_a_stage_unchanged_records_nothing(db_session, operator):
    stage = services.get_stage(db_session, "landed")
    version = stage.version
    _edit(db_session, "landed", operator)
    assert stage.version == version
    assert db_session.scalar(select(func.count()).select_from(StageChange)) == 0


def test_a_stage_moves_up_and_down_within_its_phase(db_session, operator):
    landed = services.get_stage(db_session, "landed")
    services.move_stage(db_session, "landed", -1, actor=operator, version=landed.version)
    order = [s.key for s in services.list_stages(db_session) if s.phase == "land"]
    assert order == ["introduced", "negotiating", "landed", "contract_signed"]
    services.move_stage(db_session, "landed", 1, actor=operator, version=landed.version)
    order = [s.key for s in services.list_stages(db_session) if s.phase == "land"]
    assert order == ["introduced", "negotiating", "contract_signed", "landed"]
    moved = db_session.scalars(select(StageChange.field).where(
        StageChange.action == "moved")).all()
    assert moved == ["position"] * 4


def test_the_existing_save_stage_still_creates_a_stage_at_a_free_position(db_session,
                                                                          operator):
    stage = services.save_stage(db_session, "site_visit", services.StageData(
        "land", 45, "实地考察", "Site visit", 40, 14), actor=operator)
    assert stage.id is not None and _positions(db_session)["site_visit"] == 45


# --- refusals, each with its message, and nothing changed ------------------------------------

REFUSALS = {
    "key format": (
        lambda s, op: _add_due_diligence(s, op, key="Due-Diligence"),
        "key", ("Key: 2 to 40 lower-case letters, digits or underscores, starting with a "
               "letter.")),
    "key taken": (
        lambda s, op: _add_due_diligence(s, op, key="negotiating"),
        "key", "Key: another stage already uses it."),
    "name missing": (
        lambda s, op: _add_due_diligence(s, op, name_en="  "),
        "name_en", "Name: a stage needs its Chinese and its English name."),
    "name too long": (
        lambda s, op: _edit(s, "landed", op, name_zh="落" * 41),
        "name_zh", "Name: at most 40 characters in Chinese and 60 in English."),
    "probability": (
        lambda s, op: _edit(s, "landed", op, default_probability=120),
        "default_probability", "Default win probability: a percentage between 0 and 100."),
    "stale days": (
        lambda s, op: _add_due_diligence(s, op, stale_after_days=0),
        "stale_after_days", ("Stale after: a number of days from 1 to 3650, or empty for "
                            "never.")),
    "fixed switched off": (
        lambda s, op: _edit(s, "contract_signed", op, is_active=False),
        "is_active", ("Active: this stage cannot be switched off, the pipeline's code relies "
                     "on it.")),
    "fixed phase": (
        lambda s, op: services.save_stage(s, "introduced", services.StageData(
            "mine", 30, "已引荐", "Introduced", 25, 21), actor=op),
        "phase", ("Phase: this stage cannot move to another phase, the pipeline's code relies "
                 "on it.")),
    "second lost stage": (
        lambda s, op: _add_due_diligence(s, op, after="lost"),
        "phase", ("Phase: lost is a single stage; say why a deal was lost with its reasons "
                 "instead.")),
    "position taken": (
        lambda s, op: services.save_stage(s, "site_visit", services.StageData(
            "land", 40, "实地考察", "Site visit"), actor=op),
        "position", "Position: another stage already has this position."),
    "outside its phase": (
        lambda s, op: services.save_stage(s, "site_visit", services.StageData(
            "serve", 15, "实地考察", "Site visit"), actor=op),
        "position", "Position: a stage stays among the stages of its own phase."),
    "introduced leads": (
        lambda s, op: services.move_stage(s, "negotiating", -1, actor=op, version=None),
        "position", ("Position: “Introduced” stays the first stage of the land phase, where "
                    "accepted introductions start.")),
    "edge of phase": (
        lambda s, op: services.move_stage(s, "discovered", -1, actor=op, version=None),
        "position", "Order: the stage is already at that end of its phase."),
    "unknown stage to follow": (
        lambda s, op: _add_due_diligence(s, op, after="no_such_stage"),
        "after", "That stage does not exist."),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_each_refusal_names_its_field_in_both_languages_and_changes_nothing(
        app, db_session, operator, case):
    call, field, english = REFUSALS[case]
    before = _snapshot(db_session)
    with pytest.raises(RefusedError) as refused:
        call(db_session, operator)
    assert list(refused.value.reasons) == [field]
    assert _in(app, "en", refused.value.reasons[field]) == english
    chinese = _in(app, "zh", refused.value.reasons[field])
    assert chinese != english and chinese.strip()
    assert _snapshot(db_session) == before


def test_a_stage_holding_open_deals_is_not_switched_off_and_the_message_counts_them(
        app, db_session, operator, open_deal, broker):
    _add_due_diligence(db_session, operator)
    for _ in range(2):
        services.move_deal(db_session, open_deal(), "due_diligence", actor=broker)
    before = _snapshot(db_session)
    with pytest.raises(RefusedError) as refused:
        _edit(db_session, "due_diligence", operator, is_active=False)
    assert _in(app, "en", refused.value.reasons["is_active"]) == (
        "Active: 2 open deals are still at this stage; move them to other stages first.")
    assert "2" in _in(app, "zh", refused.value.reasons["is_active"])
    assert _snapshot(db_session) == before


def test_the_count_of_one_open_deal_reads_in_the_singular(app, db_session, operator,
                                                           open_deal, broker):
    _add_due_diligence(db_session, operator)
    services.move_deal(db_session, open_deal(), "due_diligence", actor=broker)
    with pytest.raises(RefusedError) as refused:
        _edit(db_session, "due_diligence", operator, is_active=False)
    assert _in(app, "en", refused.value.reasons["is_active"]) == (
        "Active: 1 open deal is still at this stage; move it to another stage first.")


def test_a_stage_whose_deals_were_all_lost_can_be_switched_off(db_session, operator,
                                                                open_deal, broker):
    _add_due_diligence(db_session, operator)
    deal = open_deal()
    services.move_deal(db_session, deal, "due_diligence", actor=broker)
    services.move_deal(db_session, deal, "lost", actor=broker, reason="企业预算取消",
                       lost_reason="no_budget")
    _edit(db_session, "due_diligence", operator, is_active=False)
    assert not services.get_stage(db_session, "due_diligence").is_active


# --- who may --------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.BROKER, Role.ENTERPRISE, Role.INSTITUTION, None])
def test_only_operators_change_stages(db_session, make_user, role):
    actor = make_user(role) if role else None
    stage = services.get_stage(db_session, "landed")
    before = _snapshot(db_session)
    calls = [
        lambda: _add_due_diligence(db_session, actor),
        lambda: _edit(db_session, "landed", actor, name_en="Landed!"),
        lambda: services.move_stage(db_session, "landed", -1, actor=actor,
                                    version=stage.version),
        lambda: services.save_stage(db_session, "x_step", services.StageData(
            "land", 55, "x", "x"), actor=actor),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()
    assert _snapshot(db_session) == before


def test_the_platform_itself_may_configure_stages(db_session):
    stage = _add_due_diligence(db_session, permissions.SYSTEM)
    row = db_session.scalar(select(StageChange).where(StageChange.stage_id == stage.id,
                                                      StageChange.field == "key"))
    assert row.actor_id is None


# --- two operators ------------------------------------------------------------------------------

def test_an_edit_based_on_an_older_version_is_refused(db_session, operator, make_user):
    other = make_user(Role.ADMIN)
    stage = services.get_stage(db_session, "negotiating")
    seen = stage.version
    _edit(db_session, "negotiating", other, name_en="Negotiation", version=seen)
    with pytest.raises(StaleObjectError):
        _edit(db_session, "negotiating", operator, name_zh="商务谈判", version=seen)
    assert (stage.name_zh, stage.name_en) == ("谈判中", "Negotiation")


def test_adding_a_sub_step_makes_edit_pages_of_the_stages_after_it_stale(db_session,
                                                                         operator):
    seen = services.get_stage(db_session, "landed").version
    _add_due_diligence(db_session, operator)
    with pytest.raises(StaleObjectError):
        _edit(db_session, "landed", operator, name_en="Landed here", version=seen)
    with pytest.raises(StaleObjectError):
        services.move_stage(db_session, "landed", -1, actor=operator, version=seen)


def test_stage_changes_are_never_rewritten_or_deleted(db_session, operator):
    _edit(db_session, "landed", operator, name_en="Landed here")
    row = db_session.scalar(select(StageChange))
    with pytest.raises(HistoryIsAppendOnlyError), db_session.begin_nested():
        row.new_value = "rewritten"
        db_session.flush()
    with pytest.raises(HistoryIsAppendOnlyError), db_session.begin_nested():
        db_session.delete(row)
        db_session.flush()
    assert db_session.scalar(select(StageChange.new_value)) == "Landed here"


# --- a new sub-step at work ---------------------------------------------------------------------

def test_a_deal_moves_into_a_new_sub_step_and_on_out_of_it(db_session, operator, open_deal,
                                                           broker):
    _add_due_diligence(db_session, operator)
    deal = open_deal("introduced")
    kinds = {o.stage.key: o.kind for o in pages.move_options(db_session, deal)}
    assert kinds["due_diligence"] == "forward"
    services.move_deal(db_session, deal, "due_diligence", actor=broker)
    assert deal.stage.key == "due_diligence"
    kinds = {o.stage.key: o.kind for o in pages.move_options(db_session, deal)}
    assert (kinds["introduced"], kinds["negotiating"]) == ("back", "forward")
    services.move_deal(db_session, deal, "negotiating", actor=broker)
    services.move_deal(db_session, deal, "due_diligence", actor=broker, reason="补充尽调材料")
    assert deal.stage.key == "due_diligence"


def test_a_sub_steps_requirements_hold_a_deal_back_like_any_stage(db_session, operator,
                                                                  open_deal, broker):
    _add_due_diligence(db_session, operator, requirements=("terms",))
    deal = open_deal("introduced")
    services.move_deal(db_session, deal, "due_diligence", actor=broker)
    with pytest.raises(RefusedError) as refused:
        services.move_deal(db_session, deal, "negotiating", actor=broker)
    assert "price_missing" in refused.value.codes


def test_the_board_totals_and_the_today_page_use_the_sub_steps_figures(
        db_session, operator, open_deal, broker):
    _add_due_diligence(db_session, operator, default_probability=35, stale_after_days=3)
    deal = open_deal("introduced", expected_value=Decimal(200))
    four_days_ago = clock.now() - timedelta(days=4)
    with clock.at(four_days_ago):
        services.move_deal(db_session, deal, "due_diligence", actor=broker)
    column = next(c for c in services.board_summary(db_session, broker)
                  if c.stage.key == "due_diligence")
    assert (column.count, column.value, column.expected_value) == (
        1, Decimal("200.00"), Decimal("70.00"))
    assert deal in services.today_lists(db_session, broker).stale
    _edit(db_session, "due_diligence", operator, stale_after_days=10)
    assert deal not in services.today_lists(db_session, broker).stale


def test_a_switched_off_stage_leaves_the_board_and_the_moves_but_not_the_history(
        db_session, operator, open_deal, broker):
    _add_due_diligence(db_session, operator)
    deal = open_deal("introduced")
    services.move_deal(db_session, deal, "due_diligence", actor=broker)
    services.move_deal(db_session, deal, "negotiating", actor=broker)
    _edit(db_session, "due_diligence", operator, is_active=False)
    assert "due_diligence" not in [s.key for s in pages.board_stages(db_session)]
    assert "due_diligence" not in [o.stage.key for o in pages.move_options(db_session, deal)]
    with pytest.raises(RefusedError) as refused:
        services.move_deal(db_session, deal, "due_diligence", actor=broker, reason="回去")
    assert refused.value.codes == ["stage_inactive"]
    stage_rows = [(r.old_value, r.new_value) for r in pages.timeline(db_session, deal)
                  if r.field == "stage"]
    assert ("introduced", "due_diligence") in stage_rows
    assert ("due_diligence", "negotiating") in stage_rows


def test_the_funnel_counts_a_deal_that_reached_a_sub_step(db_session, operator, open_deal,
                                                          broker):
    _add_due_diligence(db_session, operator)
    deal = open_deal("introduced")
    services.move_deal(db_session, deal, "due_diligence", actor=broker)
    services.move_deal(db_session, deal, "lost", actor=broker, reason="价格谈不拢",
                       lost_reason="price")
    funnel = {s.key: n for s, n in services.operator_figures(
        db_session, actor=operator).funnel}
    assert funnel["due_diligence"] >= 1
    assert "lost" not in funnel
