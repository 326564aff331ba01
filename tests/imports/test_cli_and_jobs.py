"""`flask import` and the background jobs: dry run, write, duplicates, the rollback of a job
that fails half-way, and the progress a job reports."""
import pytest
from sqlalchemy import func, select

from matchmaker.imports import services
from matchmaker.imports.models import ImportBatch
from matchmaker.jobs import enqueue, run_queued
from matchmaker.jobs.models import BackgroundJob
from matchmaker.profiles.models import ResearchOutput
from matchmaker.seed import demo_email
from tests.imports.helpers import OUTPUT_HEADERS, csv_bytes, output_row, xlsx


def _count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ResearchOutput))


@pytest.fixture
def import_file(tmp_path):
    def write(rows, name="outputs.xlsx") -> str:
        path = tmp_path / name
        path.write_bytes(xlsx(rows) if name.endswith(".xlsx") else csv_bytes(rows, "gb18030"))
        return str(path)
    return write


def test_cli_dry_run_writes_nothing_then_the_import_writes(app, db_session, import_file):
    path = import_file([OUTPUT_HEADERS, output_row(ref="CLI-1"),
                        output_row(ref="CLI-2", title="固态电池硫化物电解质干法成膜", trl="0")])
    runner = app.test_cli_runner()
    before = _count(db_session)
    dry = runner.invoke(args=["import", "outputs", path, "--dry-run", "--as", demo_email("qcut")])
    assert dry.exit_code == 0, dry.output
    assert "row 3: error  trl: TRL must be between 1 and 9." in dry.output
    assert "create=1" in dry.output and "error=1" in dry.output
    assert _count(db_session) == before
    done = runner.invoke(args=["import", "outputs", path, "--as", demo_email("qcut")])
    assert done.exit_code == 0, done.output
    assert "written: created=1" in done.output
    assert _count(db_session) == before + 1
    again = runner.invoke(args=["import", "outputs", path, "--as", demo_email("qcut")])
    assert "created=0 updated=0 unchanged=1" in again.output


def test_cli_as_the_platform_with_duplicates_merged(app, db_session, import_file):
    path = import_file([OUTPUT_HEADERS, output_row(org="SHRI", title="二氧化钛负载型低铱析氧催化剂",
                                                   trl="8")], name="outputs.csv")
    result = app.test_cli_runner().invoke(args=["import", "outputs", path,
                                                "--on-duplicate", "merge"])
    assert result.exit_code == 0, result.output
    assert "row 2: duplicate" in result.output and "updated=1" in result.output
    record = db_session.scalar(select(ResearchOutput).where(
        ResearchOutput.title == "二氧化钛负载型低铱析氧催化剂"))
    assert record.trl == 8


def test_cli_refuses_what_the_account_may_not_import(app, import_file):
    path = import_file([OUTPUT_HEADERS, output_row()])
    result = app.test_cli_runner().invoke(args=["import", "needs", path, "--as",
                                                demo_email("qcut")])
    assert result.exit_code != 0 and "may not import needs" in result.output
    bad = app.test_cli_runner().invoke(args=["import", "outputs", __file__])
    assert bad.exit_code != 0 and "No header row found" in bad.output


def _batch(db_session, user, content: bytes, *, status="planning", app=None) -> ImportBatch:
    """A batch as the pages leave it: one "applying" was confirmed on its dry run's plan."""
    batch = ImportBatch(kind="outputs", filename="f.xlsx", size=len(content), content=content,
                        locale="en", status=status, created_by_id=user.id)
    if status == "applying":
        with app.test_request_context():
            batch.plan = services.run_dry(db_session, content, "outputs", user,
                                          locale="en").stored()
    db_session.add(batch)
    db_session.flush()
    return batch


def test_the_jobs_report_progress_and_write_in_one_transaction(app, db_session, seed_user):
    qcut = seed_user("qcut")
    titles = ["光伏组件层压工艺在线监测", "异质结电池低温银浆印刷", "钙钛矿薄膜狭缝涂布均匀性控制",
              "光伏背板氟膜回收再利用"]
    batch = _batch(db_session, qcut, xlsx([OUTPUT_HEADERS, *[output_row(title=t)
                                                             for t in titles]]))
    with app.app_context():
        batch.job_id = enqueue(db_session, "imports.plan", batch_id=batch.id).id
        db_session.commit()
        run_queued(db_session)
    db_session.expire_all()
    job = db_session.get(BackgroundJob, batch.job_id)
    assert batch.status == "planned" and job.status == "finished"
    assert (job.progress_done, job.progress_total) == (4, 4)
    batch.status, batch.decisions = "applying", {"*": "skip"}
    before = _count(db_session)
    with app.app_context():
        batch.job_id = enqueue(db_session, "imports.apply", batch_id=batch.id).id
        db_session.commit()
        run_queued(db_session)
    db_session.expire_all()
    job = db_session.get(BackgroundJob, batch.job_id)
    assert batch.status == "applied" and batch.result["created"] == 4
    assert (job.progress_done, job.progress_total) == (8, 8)  # the check, then the write
    assert _count(db_session) == before + 4


def test_a_job_that_fails_half_way_writes_nothing(app, db_session, seed_user, monkeypatch):
    qcut = seed_user("qcut")
    titles = ["风电叶片回收热解工艺", "海上风机防腐涂层", "储能电池簇热失控预警", "液流电池隔膜"]
    batch = _batch(db_session, qcut, xlsx([OUTPUT_HEADERS, *[output_row(ref=f"JOB-HALF-{i}",
                                                                        title=t)
                                                             for i, t in enumerate(titles)]]),
                   status="applying", app=app)
    spec = services.SPECS["outputs"]
    calls = []

    def failing(session, data, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("connection lost")
        return spec.create(session, data, **kwargs)

    monkeypatch.setitem(services.SPECS, "outputs",
                        services.dataclasses.replace(spec, create=failing))
    before = _count(db_session)
    with app.app_context():
        enqueue(db_session, "imports.apply", batch_id=batch.id)
        db_session.commit()
        run_queued(db_session)
    db_session.expire_all()
    assert batch.status == "failed"
    assert batch.error == "Nothing was imported. Row 4: connection lost"
    assert _count(db_session) == before
    assert db_session.scalar(select(func.count()).select_from(ResearchOutput).where(
        ResearchOutput.ref.like("JOB-HALF-%"))) == 0


def test_the_write_reports_progress_outside_its_transaction(committed_app, monkeypatch):
    """On PostgreSQL the page sees the write's progress while its transaction is still open
    (a connection of its own writes it); on SQLite it shows when the job ends. Either way the
    job finishes: the job's transaction never locks its own row against the progress."""
    from sqlalchemy import create_engine

    from matchmaker.auth.models import User
    from matchmaker.extensions import db
    from tests.conftest import IS_POSTGRES

    app = committed_app
    seen = {}
    real_apply = services.apply_import

    def observed(session, plan, user, **options):
        counts = real_apply(session, plan, user, **options)
        if not IS_POSTGRES:  # SQLite's one writer holds the file: nothing to see from outside
            return counts
        outside = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with outside.connect() as connection:  # another connection: committed rows only
            seen["progress"] = connection.execute(
                select(BackgroundJob.progress_done, BackgroundJob.progress_total)
                .where(BackgroundJob.name == "imports.apply")).one()
            seen["outputs"] = connection.scalar(
                select(func.count()).select_from(ResearchOutput)
                .where(ResearchOutput.ref.like("OUT-%")))
        outside.dispose()
        return counts

    monkeypatch.setattr(services, "apply_import", observed)
    titles = ["风电叶片回收热解工艺", "海上风机防腐涂层", "储能电池簇热失控预警"]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == demo_email("qcut")))
        content = xlsx([OUTPUT_HEADERS, *[output_row(ref=f"OUT-{i}", title=t)
                                          for i, t in enumerate(titles)]])
        batch = ImportBatch(kind="outputs", filename="f.xlsx", size=len(content),
                            content=content, locale="en", status="applying",
                            created_by_id=user.id, decisions={"*": "skip"})
        with app.test_request_context():  # the dry run the user confirmed
            batch.plan = services.run_dry(db.session, content, "outputs", user,
                                          locale="en").stored()
        db.session.add(batch)
        db.session.flush()
        enqueue(db.session, "imports.apply", batch_id=batch.id)
        db.session.commit()
        run_queued(db.session)
        db.session.expire_all()
        assert db.session.get(ImportBatch, batch.id).status == "applied"
        db.session.remove()
    if IS_POSTGRES:
        assert seen["outputs"] == 0  # not committed yet when observed
        assert tuple(seen["progress"]) == (6, 6)


def test_import_batches_past_their_retention_are_erased_unless_a_job_works_on_them(
        app, db_session):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from matchmaker.imports.models import ImportBatch
    from matchmaker.jobs import enqueue, run_queued

    now = datetime.now(UTC)
    ages = {"applied": 91, "failed": 200, "planned": 120, "applying": 300, "planning": 95}
    made = {}
    for status, days in ages.items():
        batch = ImportBatch(kind="outputs", filename=f"{status}.xlsx", size=1, content=b"x",
                            status=status, created_at=now - timedelta(days=days))
        db_session.add(batch)
        made[status] = batch
    recent = ImportBatch(kind="outputs", filename="recent.xlsx", size=1, content=b"x",
                         status="applied", created_at=now - timedelta(days=89))
    db_session.add(recent)
    db_session.commit()
    ids = {status: batch.id for status, batch in made.items()}
    with app.app_context():
        enqueue(db_session, "imports.erase_old_batches")
        db_session.commit()
        run_queued(db_session)
    left = set(db_session.scalars(select(ImportBatch.id).where(
        ImportBatch.id.in_([*ids.values(), recent.id]))))
    assert left == {ids["applying"], ids["planning"], recent.id}  # a job still works on two
