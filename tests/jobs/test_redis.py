"""The production path of background work: RQ on a real Redis, real `flask jobs worker`
processes, a real database that both the web app and the workers commit to.

Redis must answer at MATCHMAKER_TEST_REDIS_URL (default redis://127.0.0.1:6379/15, a database
these tests empty); a missing Redis fails the run (scripts/test.sh checks it first).
"""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import delete, func, select

from matchmaker.extensions import db, limiter
from matchmaker.jobs import BackgroundJob, JobStatus, enqueue
from matchmaker.profiles.models import TechNeed
from matchmaker.recommendations.models import MatchSet, StoredMatch
from matchmaker.recommendations.store import current_generation
from tests.conftest import login, make_committed_app, submit

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("MATCHMAKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WORKER_TIMEOUT = 300


@pytest.fixture(scope="module")
def redis_url():
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception as error:  # noqa: BLE001  (any failure means: no Redis here)
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({error}); start it or set "
                    f"MATCHMAKER_TEST_REDIS_URL (scripts/test.sh checks it first)")
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()


@pytest.fixture
def rq_app(isolated_database_url, redis_url):
    """The app in production job mode (RQ) on a database of its own."""
    Redis.from_url(redis_url).flushdb()
    app = make_committed_app(isolated_database_url, JOBS_MODE="rq", REDIS_URL=redis_url,
                             JOB_MODULES=("tests.jobs.tasks",))
    app.config["TEST_DATABASE_URL"] = isolated_database_url
    # Loading the seed deals sets listing statuses, which asks for a match refresh; the tests
    # count what they queue themselves, so start from empty queues.
    with app.app_context():
        db.session.execute(delete(BackgroundJob).where(BackgroundJob.status == JobStatus.QUEUED))
        db.session.commit()
        db.session.remove()
    Redis.from_url(redis_url).flushdb()
    yield app
    with app.app_context():
        db.engine.dispose()


def _worker(app, *queues: str) -> subprocess.Popen:
    """Start `flask jobs worker --burst` on queues as its own process (as serve.sh would)."""
    env = {**os.environ, "FLASK_APP": "wsgi", "MATCHMAKER_ENV": "development",
           "SECRET_KEY": "test-worker", "DATABASE_URL": app.config["TEST_DATABASE_URL"],
           "REDIS_URL": app.config["REDIS_URL"], "JOBS_MODE": "rq", "MATCH_INDEX_PATH": "none",
           "MATCHMAKER_JOB_MODULES": "tests.jobs.tasks"}
    args = [arg for queue in queues for arg in ("--queue", queue)]
    return subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker", "--burst", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _finish(*workers: subprocess.Popen) -> None:
    for worker in workers:
        output, _ = worker.communicate(timeout=WORKER_TIMEOUT)
        assert worker.returncode == 0, output[-3000:]


def _queued(app, name: str) -> int:
    return Queue(name, connection=Redis.from_url(app.config["REDIS_URL"])).count


def test_a_saved_listing_reaches_the_worker_through_redis_and_its_matches_are_stored(rq_app):
    app = rq_app
    with app.app_context():
        enqueue(db.session, "matches.rebuild")
        db.session.commit()
        db.session.remove()
    assert _queued(app, "matching") == 1  # dispatched to Redis after the commit
    _finish(_worker(app, "matching", "default"))
    with app.app_context():
        generation = current_generation(db.session)
        assert generation is not None
        sets = db.session.scalar(select(func.count()).select_from(MatchSet)
                                 .where(MatchSet.generation_id == generation.id))
        assert sets > 400
        need = db.session.scalar(select(TechNeed).where(TechNeed.ref == "h2-n-001"))
        need_id, version, owner = need.id, need.version, need.enterprise.ref
        db.session.remove()

    limiter.reset()
    client = app.test_client()
    login(client, owner)
    form = {"title": "光伏制氢碱性电解槽隔膜", "description": "需要面向光伏波动电源的碱性电解槽复合隔膜，"
            "要求面电阻低、气体纯度高，可在 20% 到 110% 负荷间快速调节。", "keywords": "碱性电解，隔膜，光伏制氢",
            "chain": "hydrogen", "segment": "", "min_trl": "5", "modes": ["licence"],
            "budget_min": "50", "budget_max": "200", "deadline": "", "region": "",
            "prize": "", "version": str(version)}
    response = submit(client, f"/needs/{need_id}/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _queued(app, "matching") == 1  # the refresh the save asked for waits in Redis
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert 'data-state="updating"' in page  # the old matches meanwhile, marked as updating

    _finish(_worker(app, "matching", "default"))
    with app.app_context():
        match_set = db.session.scalar(select(MatchSet).where(
            MatchSet.generation_id == generation.id, MatchSet.side == "need",
            MatchSet.profile_id == need_id))
        assert match_set.profile_version == version + 1
        top = db.session.scalars(select(StoredMatch).where(StoredMatch.set_id == match_set.id)
                                 .order_by(StoredMatch.rank)).first()
        assert any("隔膜" in term for term in top.explanation["shared_terms"])
        db.session.remove()
    assert 'data-state="updating"' not in client.get(f"/needs/{need_id}").get_data(as_text=True)


def test_two_workers_never_run_the_same_job_twice_even_when_it_is_delivered_twice(rq_app):
    app = rq_app
    run = uuid.uuid4().hex[:8]
    with app.app_context():
        jobs = [enqueue(db.session, "tests.count", run=run, pause=0.05) for _ in range(24)]
        db.session.commit()
        ids = [job.id for job in jobs]
        dispatcher = app.extensions["jobs"]
        for job_id in ids:  # a second delivery of every job, as a re-send after a lost reply
            dispatcher.send(job_id, "default", 60)
        db.session.remove()
    assert _queued(app, "default") == 48
    _finish(_worker(app, "default"), _worker(app, "default"))

    redis = Redis.from_url(app.config["REDIS_URL"])
    runs = [int(redis.get(f"matchmaker-test:{run}:{job_id}") or 0) for job_id in ids]
    assert runs == [1] * len(ids)
    with app.app_context():
        rows = db.session.scalars(select(BackgroundJob).where(BackgroundJob.id.in_(ids))).all()
        assert {(row.status, row.attempts) for row in rows} == {(JobStatus.FINISHED, 1)}
        db.session.remove()
