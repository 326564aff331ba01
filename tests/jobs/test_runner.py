"""The job runner, as every mode uses it: claim once, record failures, retry, progress, sweep."""
from datetime import timedelta

from sqlalchemy import func, select

import tests.jobs.tasks  # noqa: F401  (registers the test tasks)
from matchmaker.jobs import BackgroundJob, JobStatus, enqueue, requeue, run_job, run_queued
from matchmaker.types import utcnow


def _count(session, **where) -> int:
    return session.scalar(select(func.count()).select_from(BackgroundJob).filter_by(**where))


def test_a_unique_job_is_queued_once_while_it_waits_and_again_after_it_ran(app, db_session):
    with app.app_context():
        first = enqueue(db_session, "tests.progress", steps=2)
        again = enqueue(db_session, "tests.progress", steps=2)
        other = enqueue(db_session, "tests.progress", steps=3)
        assert again.id == first.id and other.id != first.id
        db_session.commit()
        assert run_queued(db_session) == 2
        later = enqueue(db_session, "tests.progress", steps=2)
        assert later.id not in (first.id, other.id) and later.status == JobStatus.QUEUED


def test_a_job_asked_for_in_a_rolled_back_transaction_does_not_exist(app, db_session):
    with app.app_context():
        before = _count(db_session)
        nested = db_session.begin_nested()
        enqueue(db_session, "tests.progress", steps=9)
        nested.rollback()
        assert _count(db_session) == before


def test_a_job_is_claimed_by_one_runner_only(app, db_session):
    with app.app_context():
        job = enqueue(db_session, "tests.progress", steps=1)
        db_session.commit()
        assert run_job(db_session, job.id) is True
        assert run_job(db_session, job.id) is False  # already finished: a second runner skips
        db_session.refresh(job)
        assert (job.status, job.attempts, job.result) == (JobStatus.FINISHED, 1, {"steps": 1})


def test_a_failed_job_keeps_its_error_and_runs_again_when_retried(app, db_session):
    with app.app_context():
        job = enqueue(db_session, "tests.fail", message="no such listing")
        db_session.commit()
        run_queued(db_session)
        db_session.refresh(job)
        assert job.status == JobStatus.FAILED and "RuntimeError: no such listing" in job.error
        assert job.finished_at is not None
        again = requeue(db_session, job)
        db_session.commit()
        assert again.id == job.id and job.status == JobStatus.QUEUED and job.error == ""
        run_queued(db_session)
        db_session.refresh(job)
        assert (job.status, job.attempts) == (JobStatus.FAILED, 2)


def test_progress_is_recorded_with_its_total(app, db_session):
    with app.app_context():
        job = enqueue(db_session, "tests.progress", steps=4)
        db_session.commit()
        run_queued(db_session)
        db_session.refresh(job)
        assert (job.progress_done, job.progress_total, job.percent) == (4, 4, 100)


def test_the_sweep_fails_jobs_whose_runner_died_and_forgets_old_finished_ones(app, db_session):
    with app.app_context():
        now = utcnow()
        dead = BackgroundJob(name="tests.progress", args={}, queue="default",
                             status=JobStatus.RUNNING, started_at=now - timedelta(hours=3),
                             heartbeat_at=now - timedelta(hours=3))
        alive = BackgroundJob(name="tests.progress", args={}, queue="default",
                              status=JobStatus.RUNNING, started_at=now, heartbeat_at=now)
        old = BackgroundJob(name="tests.progress", args={}, queue="default",
                            status=JobStatus.FINISHED, finished_at=now - timedelta(days=40))
        db_session.add_all([dead, alive, old])
        db_session.flush()
        old_id = old.id
        sweep = enqueue(db_session, "jobs.sweep")
        db_session.commit()
        run_job(db_session, sweep.id)
        db_session.refresh(sweep)
        assert sweep.result == {"resent": 0, "lost": 1, "forgotten": 1}
        assert db_session.get(BackgroundJob, dead.id).status == JobStatus.FAILED
        assert "stopped answering" in db_session.get(BackgroundJob, dead.id).error
        assert db_session.get(BackgroundJob, alive.id).status == JobStatus.RUNNING
        assert _count(db_session, id=old_id) == 0


def test_a_job_of_a_task_this_code_does_not_know_fails_with_a_clear_error(app, db_session):
    with app.app_context():
        job = BackgroundJob(name="gone.task", args={}, queue="default")
        db_session.add(job)
        db_session.commit()
        run_queued(db_session)
        db_session.refresh(job)
        assert job.status == JobStatus.FAILED and "no task named 'gone.task'" in job.error
