"""What only PostgreSQL can prove about the stages: two operators saving one stage (the second
is refused), a deal entering a stage while an operator switches it off (whichever comes second
is refused, so no open deal is left at a stage that is off), and the database refusing to
change or delete stage_changes rows. Skipped on SQLite."""
import threading
import time
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.auth.models import Broker, User
from matchmaker.domain import AccountStatus, Role
from matchmaker.errors import StaleObjectError
from matchmaker.extensions import db
from matchmaker.orgs.models import Enterprise, Region
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import Deal, DealStage, StageChange
from matchmaker.pipeline.services import RefusedError
from matchmaker.profiles import services as profiles
from tests.conftest import IS_POSTGRES, make_config

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL)")]


@pytest.fixture
def engine(isolated_database_url):
    """A migrated database of the test's own, with an operator, a broker and a deal at
    "introduced", a sub-step "due_diligence" after it, all committed."""
    app = create_app(make_config(isolated_database_url))
    with app.app_context():
        upgrade()
        engine = db.engine
        region = Region(name="西咸新区", name_en="Xixian New Area", province="陕西省")
        enterprise = Enterprise(name="阶段竞态测试企业有限公司", tier="tech_sme", size="small",
                                region=region)
        owner = User(email="stage-ent@test.example.com", password_hash="!",
                     display_name="企业", role=Role.ENTERPRISE, status=AccountStatus.ACTIVE,
                     enterprise=enterprise)
        broker = User(email="stage-broker@test.example.com", password_hash="!",
                      display_name="经纪人", role=Role.BROKER, status=AccountStatus.ACTIVE,
                      broker=Broker())
        operator = User(email="stage-admin@test.example.com", password_hash="!",
                        display_name="运营", role=Role.ADMIN, status=AccountStatus.ACTIVE)
        db.session.add_all([owner, broker, operator])
        db.session.flush()
        need = profiles.create_need(db.session, profiles.NeedData(
            title="降低碱性电解槽槽压", modes=["licence"],
            description="希望引进新型电极或催化剂技术，在现有电解槽上改造，降低直流电耗百分之八以上，"
                        "并保证连续运行一年以上不衰减。"), owner=owner)
        profiles.change_need_status(db.session, need, "published", editor=owner)
        services.create_deal(db.session, actor=broker, need=need, stage_key="introduced",
                             next_step="约企业面谈", next_step_due=clock.today() + timedelta(3))
        services.add_stage(db.session, "due_diligence", after="introduced", actor=operator,
                           name_zh="尽职调查", name_en="Due diligence")
        db.session.commit()
        db.session.remove()
    yield engine
    engine.dispose()


def _people(session) -> tuple[User, User]:
    operator = session.scalar(select(User).where(User.role == Role.ADMIN))
    broker = session.scalar(select(User).where(User.role == Role.BROKER))
    return operator, broker


def _wait_until_blocked(engine, pid: int) -> None:
    """Return once the backend pid waits for a lock (fail after 30 s)."""
    deadline = time.monotonic() + 30
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(text(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid}).scalar()
            if waiting == "Lock":
                return
            time.sleep(0.02)
    pytest.fail("the second transaction never waited for the first one's lock")


def _race(engine, first_change, second_change) -> dict:
    """Run first_change in one transaction (uncommitted), second_change in another that has
    to wait for it, then commit the first; return what became of the second."""
    first, second = Session(engine), Session(engine)
    outcome: dict = {}
    try:
        first_change(first)
        pid = second.execute(text("SELECT pg_backend_pid()")).scalar()

        def run_second() -> None:
            try:
                second_change(second)
                second.commit()
                outcome["saved"] = True
            except (StaleObjectError, RefusedError) as error:
                second.rollback()
                outcome["error"] = error

        racer = threading.Thread(target=run_second)
        racer.start()
        _wait_until_blocked(engine, pid)
        first.commit()
        racer.join(timeout=30)
        assert not racer.is_alive()
    finally:
        first.close()
        second.close()
    return outcome


def test_of_two_operators_saving_one_stage_the_second_gets_stale_object_error(engine):
    with Session(engine) as check:  # both pages were opened at this version
        seen = check.scalar(select(DealStage.version).where(DealStage.key == "landed"))

    def edit(name_en):
        def change(session):
            stage = session.scalar(select(DealStage).where(DealStage.key == "landed"))
            operator, _broker = _people(session)
            services.update_stage(session, "landed", actor=operator, version=seen,
                                  name_zh=stage.name_zh, name_en=name_en,
                                  default_probability=stage.default_probability,
                                  stale_after_days=stage.stale_after_days,
                                  requirements=tuple(stage.requirements), is_active=True)
        return change

    outcome = _race(engine, edit("Landed first"), edit("Landed second"))
    assert isinstance(outcome.get("error"), StaleObjectError), outcome
    with Session(engine) as check:
        stage = check.scalar(select(DealStage).where(DealStage.key == "landed"))
        assert (stage.name_en, stage.version) == ("Landed first", seen + 1)
        assert check.scalars(select(StageChange.new_value).where(
            StageChange.field == "name_en", StageChange.stage_id == stage.id)).all() == [
            "Landed first"]


def _move_in(session) -> None:
    _operator, broker = _people(session)
    deal = session.scalar(select(Deal))
    services.move_deal(session, deal, "due_diligence", actor=broker)


def _switch_off(session) -> None:
    operator, _broker = _people(session)
    stage = session.scalar(select(DealStage).where(DealStage.key == "due_diligence"))
    services.update_stage(session, "due_diligence", actor=operator, version=None,
                          name_zh=stage.name_zh, name_en=stage.name_en,
                          default_probability=stage.default_probability,
                          stale_after_days=stage.stale_after_days, requirements=(),
                          is_active=False)


def test_a_stage_is_not_switched_off_under_a_deal_entering_it(engine):
    outcome = _race(engine, _move_in, _switch_off)
    assert isinstance(outcome.get("error"), RefusedError), outcome
    assert outcome["error"].codes == ["stage_has_open_deals"]
    with Session(engine) as check:
        assert check.scalar(select(DealStage.is_active).where(
            DealStage.key == "due_diligence"))
        assert check.scalar(select(Deal)).stage.key == "due_diligence"


def test_a_deal_does_not_enter_a_stage_being_switched_off(engine):
    outcome = _race(engine, _switch_off, _move_in)
    assert isinstance(outcome.get("error"), RefusedError), outcome
    assert outcome["error"].codes == ["stage_inactive"]
    with Session(engine) as check:
        assert not check.scalar(select(DealStage.is_active).where(
            DealStage.key == "due_diligence"))
        assert check.scalar(select(Deal)).stage.key == "introduced"


def test_the_database_refuses_to_update_or_delete_stage_changes(db_session, make_user):
    operator = make_user(Role.ADMIN)
    services.add_stage(db_session, "due_diligence", after="introduced", actor=operator,
                       name_zh="尽职调查", name_en="Due diligence")
    row_id = db_session.scalar(select(StageChange.id).where(StageChange.field == "key"))
    for statement in (f"UPDATE stage_changes SET new_value = 'x' WHERE id = {row_id}",
                      f"DELETE FROM stage_changes WHERE id = {row_id}",
                      "DELETE FROM stage_changes"):
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(statement))
    assert db_session.scalar(select(StageChange.new_value).where(
        StageChange.id == row_id)) == "due_diligence"
