"""Write the stages (operators only) and read them for the stages page: edit a stage, add a
sub-step after another stage, move a stage up or down within its phase.

Stages are rows (models.DealStage); the rules about them are in rules.py (check_stage,
check_stage_order, positions_with, positions_moving). Every function here checks the actor,
asks the rules, flushes and never commits, then announces signals.stage_changed, whose
subscriber writes one append-only stage_changes row per changed field (who, when, old, new).

**Optimistic locking.** DealStage.version is SQLAlchemy's version_id_col: the services take the
version the operator's page showed and refuse an older one (StaleObjectError); two saves
racing past that check meet at the versioned UPDATE. Adding or moving a stage renumbers the
stages after it, which bumps their versions too, so an edit page opened before is refused
rather than saved over the new order.

**Switching a stage off.** A stage that holds open deals cannot be switched off. The stage row
is locked (SELECT … FOR UPDATE on PostgreSQL) before its deals are counted, and a deal moving
or starting reads its stage FOR SHARE (stage_for_deal), so a deal cannot slip into a stage
while it is being switched off.
"""
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from matchmaker import permissions, signals
from matchmaker.auth.models import User
from matchmaker.domain import FIXED_STAGES, PHASE_ORDER, Phase, Requirement, StageAction
from matchmaker.errors import NotFoundError, PermissionDeniedError, StaleObjectError
from matchmaker.pipeline import clock, rules, subscribers  # noqa: F401  (stage_changes rows)
from matchmaker.pipeline.models import Deal, DealStage, StageChange
from matchmaker.pipeline.queries import list_stages, stage_def
from matchmaker.pipeline.writing import RefusedError, check_choice, history_text, refuse


@dataclass
class StageData:
    """A stage as an operator sets it (save_stage); add_stage and update_stage take the phase
    and position from where the stage goes."""

    phase: str
    position: int
    name_zh: str
    name_en: str
    default_probability: int = 0
    stale_after_days: int | None = None
    requirements: tuple[str, ...] = ()
    is_active: bool = True


# --- reads ----------------------------------------------------------------------------------

def get_stage(session: Session, key: str) -> DealStage:
    """Return the stage with key; raise NotFoundError if there is none."""
    stage = find_stage(session, key)
    if stage is None:
        raise NotFoundError(key)
    return stage


def find_stage(session: Session, key: str) -> DealStage | None:
    """Return the stage with key, or None."""
    return session.scalar(select(DealStage).where(DealStage.key == key))


def stage_for_deal(session: Session, key: str) -> DealStage | None:
    """Return the stage a deal is about to enter, read afresh and share-locked until the
    transaction ends (PostgreSQL), so that it cannot be switched off meanwhile."""
    return session.scalar(select(DealStage).where(DealStage.key == key)
                          .with_for_update(read=True)
                          .execution_options(populate_existing=True))


def open_deal_counts(session: Session) -> dict[int, int]:
    """Return the number of open deals at each stage (stage id → count; absent: none)."""
    return dict(session.execute(select(Deal.stage_id, func.count()).where(Deal.is_open)
                                .group_by(Deal.stage_id)).all())


@dataclass(frozen=True)
class StageRow:
    stage: DealStage
    open_deals: int
    is_fixed: bool
    is_first: bool  # first of its phase (no "up")
    is_last: bool  # last of its phase (no "down")


def stage_table(session: Session) -> list[tuple[Phase, list[StageRow]]]:
    """Return every stage (active or not) by phase, in board order, with its open deals."""
    counts = open_deal_counts(session)
    stages = list_stages(session, active_only=False)
    table = []
    for phase in (*PHASE_ORDER, Phase.LOST):
        of_phase = [s for s in stages if s.phase == phase]
        table.append((phase, [StageRow(s, counts.get(s.id, 0), s.key in FIXED_STAGES,
                                       i == 0, i == len(of_phase) - 1)
                              for i, s in enumerate(of_phase)]))
    return table


def list_stage_changes(session: Session, *, limit: int = 50) -> list[StageChange]:
    """Return the latest changes to the stages, newest first."""
    return list(session.scalars(select(StageChange).order_by(
        StageChange.at.desc(), StageChange.id.desc()).limit(limit)))


# --- writes ---------------------------------------------------------------------------------

def _require_operator(actor: User | None, key: str) -> None:
    if not permissions.is_admin(actor):
        raise PermissionDeniedError(key)


def _text(value) -> str | None:
    if isinstance(value, (list, tuple)):
        return ",".join(value)
    return history_text(value)


def _announce(session: Session, stage: DealStage, actor: User | None, action: StageAction,
              changes: list[tuple[str, object, object]], at: datetime) -> None:
    signals.stage_changed.send(stage, session=session, actor=actor, action=action, at=at,
                               changes=[(n, _text(old), _text(new)) for n, old, new in changes])


def _flush(session: Session, stage_id: int | None) -> None:
    """Flush; a stage saved by someone else since it was read is a StaleObjectError, a key
    another operator took meanwhile a refusal."""
    try:
        session.flush()
    except StaleDataError as error:
        raise StaleObjectError(stage_id) from error
    except IntegrityError as error:
        raise refuse("stage_key_taken", "key") from error


def _check_version(stage: DealStage, version: int | None) -> None:
    if version is not None and stage.version != version:
        raise StaleObjectError(stage.id)


def _open_deals_if_switching_off(session: Session, stage: DealStage, data: StageData) -> int:
    """Count the stage's open deals when data switches it off, under a lock on the stage."""
    if data.is_active or not stage.is_active:
        return 0
    session.execute(select(DealStage.id).where(DealStage.id == stage.id).with_for_update())
    return session.scalar(select(func.count(Deal.id)).where(
        Deal.stage_id == stage.id, Deal.is_open)) or 0


def _proposed(key: str, data: StageData) -> rules.StageDef:
    return rules.StageDef(key=key, phase=Phase(data.phase), position=data.position,
                          default_probability=data.default_probability,
                          stale_after_days=data.stale_after_days,
                          requirements=tuple(data.requirements), is_active=data.is_active)


def _check(session: Session, key: str, data: StageData, stage: DealStage | None, *,
           positions: dict[str, int] | None = None) -> None:
    """Raise RefusedError with every reason the rules give against saving data as key.

    positions: the other stages' positions after the change (default: as they are).
    """
    check_choice(data.phase, Phase, "phase")
    for requirement in data.requirements:
        check_choice(requirement, Requirement, "requirements")
    proposed = _proposed(key, data)
    open_deals = _open_deals_if_switching_off(session, stage, data) if stage else 0
    refusals = rules.check_stage(
        proposed, names={"name_zh": data.name_zh, "name_en": data.name_en},
        before=stage_def(stage) if stage else None, open_deals=open_deals)
    others = [rules.StageDef(s.key, Phase(s.phase), (positions or {}).get(s.key, s.position))
              for s in list_stages(session, active_only=False) if s.key != key]
    refusals += rules.check_stage_order([*others, proposed])
    if refusals:
        raise RefusedError(refusals)


def _assign(stage: DealStage, data: StageData) -> list[tuple[str, object, object]]:
    """Set the stage's fields to data; return (field, old, new) per field that changed."""
    changes = []
    for item in fields(data):
        old, new = getattr(stage, item.name, None), getattr(data, item.name)
        if item.name == "requirements":
            old, new = list(old or []), list(new)
        elif isinstance(new, str):
            new = new.strip()
        if old != new:
            setattr(stage, item.name, new)
            changes.append((item.name, old, new))
    return changes


def _shift(session: Session, positions: dict[str, int]) -> list[tuple[DealStage, int, int]]:
    """Give each stage its position in positions; return (stage, old, new) per stage moved."""
    moved = []
    for stage in list_stages(session, active_only=False):
        new = positions.get(stage.key, stage.position)
        if new != stage.position:
            moved.append((stage, stage.position, new))
            stage.position = new
    return moved


def save_stage(session: Session, key: str, data: StageData, *, actor: User,
               version: int | None = None) -> DealStage:
    """Create or change the stage key as data says (operators only).

    Raises RefusedError naming the field when the rules refuse (a key not in the key format,
    a fixed stage switched off or given another phase, a stage holding open deals switched
    off, a position outside the stage's phase, …), StaleObjectError when the stage changed
    since version was read.
    """
    _require_operator(actor, key)
    stage = find_stage(session, key)
    if stage is not None:
        _check_version(stage, version)
    _check(session, key, data, stage)
    created = stage is None
    if created:
        stage = DealStage(key=key)
        session.add(stage)
    changes = _assign(stage, data)
    if not changes:
        return stage
    _flush(session, stage.id)
    _announce(session, stage, actor, StageAction.CREATED if created else StageAction.CHANGED,
              [("key", None, key), *changes] if created else changes, clock.now())
    return stage


def update_stage(session: Session, key: str, *, actor: User, version: int | None,
                 name_zh: str, name_en: str, default_probability: int,
                 stale_after_days: int | None, requirements: tuple[str, ...],
                 is_active: bool) -> DealStage:
    """Rename the stage and change its figures, requirements and whether it is in use; its
    phase and place stay (move_stage changes the place)."""
    _require_operator(actor, key)
    stage = get_stage(session, key)
    return save_stage(session, key, StageData(
        stage.phase, stage.position, name_zh, name_en, default_probability, stale_after_days,
        tuple(requirements), is_active), actor=actor, version=version)


def add_stage(session: Session, key: str, *, after: str, actor: User, name_zh: str,
              name_en: str, default_probability: int = 0, stale_after_days: int | None = None,
              requirements: tuple[str, ...] = ()) -> DealStage:
    """Add a sub-step right after the stage after, in its phase; the stages after it shift
    down one place (operators only)."""
    _require_operator(actor, key)
    previous = find_stage(session, after)
    if previous is None:
        raise refuse("unknown_stage", "after")
    if find_stage(session, key) is not None:
        raise refuse("stage_key_taken", "key")
    defs = [stage_def(s) for s in list_stages(session, active_only=False)]
    positions = rules.positions_with(defs, key, after)
    data = StageData(previous.phase, positions[key], name_zh, name_en, default_probability,
                     stale_after_days, tuple(requirements))
    _check(session, key, data, None, positions=positions)
    moment = clock.now()
    moved = _shift(session, positions)
    stage = DealStage(key=key)
    changes = _assign(stage, data)
    session.add(stage)
    _flush(session, None)
    _announce(session, stage, actor, StageAction.CREATED, [("key", None, key), *changes],
              moment)
    for other, old, new in moved:
        _announce(session, other, actor, StageAction.MOVED, [("position", old, new)], moment)
    return stage


def move_stage(session: Session, key: str, step: int, *, actor: User,
               version: int | None) -> DealStage:
    """Swap the stage with its neighbour in its phase: step -1 up (earlier), +1 down."""
    _require_operator(actor, key)
    stage = get_stage(session, key)
    _check_version(stage, version)
    defs = [stage_def(s) for s in list_stages(session, active_only=False)]
    positions = rules.positions_moving(defs, key, step)
    if isinstance(positions, rules.Refusal):
        raise RefusedError([positions])
    refusals = rules.check_stage_order(
        rules.StageDef(d.key, d.phase, positions[d.key]) for d in defs)
    if refusals:
        raise RefusedError(refusals)
    moment = clock.now()
    moved = _shift(session, positions)
    _flush(session, stage.id)
    for other, old, new in moved:
        _announce(session, other, actor, StageAction.MOVED, [("position", old, new)], moment)
    return stage
