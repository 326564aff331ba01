"""Databases of their own for the backup tests: a seeded source with extra deals and history,
backed up once per dialect, and blank targets (SQLite files or PostgreSQL schemas)."""
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from matchmaker import backup, create_app
from matchmaker.domain import Side
from matchmaker.extensions import db
from matchmaker.matching import Match, Ranking
from matchmaker.pipeline import clock, stages
from matchmaker.pipeline import services as pipeline
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations import store
from matchmaker.recommendations.models import MatchGeneration, StoredMatch
from matchmaker.seed import demo_email
from tests.conftest import IS_POSTGRES, make_committed_app, make_config, own_database_url

DIALECTS = ["sqlite", pytest.param("postgresql", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not IS_POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL)")])]


def database_url(dialect: str, folder: Path):
    """Return a context giving the URL of an empty database of its own of dialect."""
    return own_database_url(folder, "bk", postgres=dialect == "postgresql")


def blank_app(url: str, uploads: Path, *, migrate_to: str | None = "head"):
    """Return an app on url with its own upload folder, migrated to migrate_to (None: not)."""
    app = create_app(type("BlankConfig", (make_config(url),), {"UPLOAD_DIR": uploads}))
    if migrate_to:
        with app.app_context():
            upgrade(revision=migrate_to)
    return app


def add_deal_work(app) -> None:
    """Add what a broker does on top of the seed: a new deal moved on, with activities, a task
    and a co-broker, and an operator's change to a stage, so rows of both append-only
    histories (deal_history, stage_changes) of this run join the seed's."""
    from matchmaker.auth.models import User

    with app.app_context():
        session = db.session
        broker = session.scalar(select(User).where(User.email == demo_email("broker-zhangmin")))
        other = session.scalar(select(User).where(User.email == demo_email("broker-liuyang")))
        output = session.scalar(select(ResearchOutput).where(ResearchOutput.status == "published")
                                .order_by(ResearchOutput.id))
        need = session.scalar(select(TechNeed).where(TechNeed.status == "published")
                              .order_by(TechNeed.id))
        deal = pipeline.create_deal(session, actor=broker, owner=broker, output=output,
                                    need=need, stage_key="introduced",
                                    next_step="备份测试：约双方面谈",
                                    next_step_due=clock.today() + timedelta(days=3))
        pipeline.add_activity(session, deal, "call", "电话沟通：企业希望先看中试数据 ✓",
                              actor=broker)
        pipeline.add_task(session, deal, "准备保密协议", clock.today() + timedelta(days=5),
                          actor=broker)
        pipeline.add_co_broker(session, deal, other, actor=broker)
        # A deal started from a stored match keeps its raw score and its match quality (the
        # seed's matches are not computed here: the need's list is written as a rebuild would).
        generation = store.current_generation(session)
        if generation is None:
            generation = MatchGeneration(status="current", settings_digest="backup-test")
            session.add(generation)
            session.flush()
        ranking = Ranking(need.id, (Match(output.id, 0.42, {"text": 0.42}),))
        store.write_sets(session, generation.id, Side.NEED, [(ranking, need.version)],
                         limit=10, floor=0.05)
        match = session.scalar(select(StoredMatch).where(StoredMatch.need_id == need.id,
                                                         StoredMatch.output_id == output.id))
        pipeline.create_deal(session, actor=broker, owner=broker, match=match,
                             next_step="备份测试：由匹配创建",
                             next_step_due=clock.today() + timedelta(days=3))
        pipeline.move_deal(session, deal, "discovered", actor=broker, reason="退回：需先确认专利状态")
        admin = session.scalar(select(User).where(User.email == demo_email("admin")))
        stage = stages.get_stage(session, "qualified")
        stages.update_stage(session, "qualified", actor=admin, version=stage.version,
                            name_zh=stage.name_zh + "（备份测试）", name_en=stage.name_en,
                            default_probability=stage.default_probability,
                            stale_after_days=stage.stale_after_days,
                            requirements=tuple(stage.requirements), is_active=True)
        session.commit()
        session.remove()


def snapshot(app) -> dict[str, list[tuple]]:
    """Return every table's rows as stored (backup.read_expression), in primary-key order,
    with datetimes as naive UTC so that SQLite and PostgreSQL compare."""
    with app.app_context(), db.engine.connect() as conn:
        return {table.name: [tuple(_comparable(v) for v in row)
                             for row in backup.rows_in_order(conn, table)]
                for table in db.metadata.sorted_tables}


def search_vectors(app) -> dict[str, list[tuple[int, str | None]]]:
    """Return the listings' search_vector as text, by id."""
    out = {}
    with app.app_context(), db.engine.connect() as conn:
        for name in ("research_outputs", "tech_needs"):
            table = db.metadata.tables[name]
            out[name] = conn.execute(sa.select(table.c.id, sa.cast(table.c.search_vector,
                                                                    sa.Text))
                                     .order_by(table.c.id)).all()
    return out


def _comparable(value):
    from datetime import UTC, datetime

    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


@pytest.fixture(scope="module", params=DIALECTS)
def source(request, tmp_path_factory):
    """A seeded database with extra deal work, its snapshot and its backup archive."""
    folder = tmp_path_factory.mktemp(f"source-{request.param}")
    with database_url(request.param, folder) as url:
        app = make_committed_app(url, UPLOAD_DIR=folder / "uploads")
        add_deal_work(app)
        archive = folder / "backup.zip"
        with app.app_context():
            summary = backup.create_backup(db.engine, db.metadata, archive,
                                           upload_dir=folder / "uploads")
        yield {"app": app, "dialect": request.param, "archive": archive, "summary": summary,
               "rows": snapshot(app), "search": search_vectors(app),
               "uploads": folder / "uploads"}
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(params=DIALECTS)
def target(request, tmp_path):
    """Yield a factory of blank apps (migrated to head) on the parametrised dialect."""
    made = []

    def make(*, migrate_to: str | None = "head"):
        context = database_url(request.param, tmp_path)
        url = context.__enter__()
        uploads = tmp_path / f"uploads-{len(made)}"
        app = blank_app(url, uploads, migrate_to=migrate_to)
        made.append((app, context))
        return app

    make.dialect = request.param
    yield make
    for app, context in made:
        with app.app_context():
            db.engine.dispose()
        context.__exit__(None, None, None)
