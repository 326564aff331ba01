"""What only PostgreSQL can prove: two real transactions racing to save one deal, and the
database itself refusing to change or delete history rows. Skipped on SQLite (scripts/test.sh
runs the suite on both)."""
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
from matchmaker.pipeline.models import Deal, DealHistory
from matchmaker.profiles import services as profiles
from tests.conftest import IS_POSTGRES, make_config

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL)")]


def _committed_deal(app) -> tuple[int, int, int]:
    """Make a broker and a deal on a need in the app's database and commit; return ids."""
    with app.app_context():
        region = Region(name="西咸新区", name_en="Xixian New Area", province="陕西省")
        enterprise = Enterprise(name="竞态测试企业有限公司", tier="tech_sme", size="small",
                                region=region)
        owner = User(email="race-ent@test.example.com", password_hash="!", display_name="企业",
                     role=Role.ENTERPRISE, status=AccountStatus.ACTIVE, enterprise=enterprise)
        broker = User(email="race-broker@test.example.com", password_hash="!",
                      display_name="经纪人", role=Role.BROKER, status=AccountStatus.ACTIVE,
                      broker=Broker())
        db.session.add_all([owner, broker])
        db.session.flush()
        need = profiles.create_need(db.session, profiles.NeedData(
            title="降低碱性电解槽槽压", modes=["licence"],
            description="希望引进新型电极或催化剂技术，在现有电解槽上改造，降低直流电耗百分之八以上，"
                        "并保证连续运行一年以上不衰减。"), owner=owner)
        profiles.change_need_status(db.session, need, "published", editor=owner)
        deal = services.create_deal(db.session, actor=broker, need=need, next_step="约企业面谈",
                                    next_step_due=clock.today() + timedelta(days=3))
        db.session.commit()
        ids = deal.id, deal.version, broker.id
        db.session.remove()
    return ids


def test_of_two_transactions_saving_one_deal_the_second_gets_stale_object_error(
        isolated_database_url):
    app = create_app(make_config(isolated_database_url))
    with app.app_context():
        upgrade()
        engine = db.engine
    deal_id, version, broker_id = _committed_deal(app)
    first, second = Session(engine), Session(engine)
    outcome: dict = {}
    try:
        # Both load the same deal at the same version, as two open edit pages would.
        deal_1, deal_2 = first.get(Deal, deal_id), second.get(Deal, deal_id)
        broker_1, broker_2 = first.get(User, broker_id), second.get(User, broker_id)
        assert deal_1.version == deal_2.version == version
        services.update_deal(first, deal_1, actor=broker_1, version=version, title="先保存的标题")

        def save_second() -> None:
            try:
                services.update_deal(second, deal_2, actor=broker_2, version=version,
                                     title="后保存的标题")
                second.commit()
                outcome["saved"] = True
            except StaleObjectError as error:
                second.rollback()
                outcome["error"] = error

        racer = threading.Thread(target=save_second)
        racer.start()
        time.sleep(0.5)
        assert racer.is_alive(), "the second UPDATE should wait for the first one's row lock"
        first.commit()
        racer.join(timeout=30)
        assert not racer.is_alive()
        assert isinstance(outcome.get("error"), StaleObjectError), outcome
    finally:
        first.close()
        second.close()
    with Session(engine) as check:
        saved = check.get(Deal, deal_id)
        assert (saved.title, saved.version) == ("先保存的标题", version + 1)
        titles = check.scalars(select(DealHistory.new_value).where(
            DealHistory.deal_id == deal_id, DealHistory.field == "title")).all()
        assert titles == ["先保存的标题"]
    engine.dispose()


def test_the_database_refuses_to_update_or_delete_history_rows(db_session, make_deal):
    deal = make_deal(output=None)
    row_id = db_session.scalar(select(DealHistory.id).where(DealHistory.deal_id == deal.id))
    for statement in (f"UPDATE deal_history SET note = 'rewritten' WHERE id = {row_id}",
                      f"DELETE FROM deal_history WHERE id = {row_id}",
                      "DELETE FROM deal_history"):
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(statement))
    row = db_session.get(DealHistory, row_id)
    db_session.refresh(row)
    assert row.note == "" and row.deal_id == deal.id
    # inserting stays allowed
    services.add_activity(db_session, deal, "note", "插入仍然可以", actor=deal.owner)
