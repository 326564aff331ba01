"""The operator's background-jobs pages: list, counts, detail, JSON, retry, run now, the
status panel, and that nobody else reaches them."""
import re
from datetime import timedelta

import pytest
from redis import Redis
from rq import Worker
from sqlalchemy import func, select, update

import tests.jobs.tasks  # noqa: F401  (registers the test tasks)
from matchmaker.admin import job_views, operations
from matchmaker.chains.models import Chain
from matchmaker.jobs import TASKS, BackgroundJob, JobStatus, enqueue
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.store import current_generation
from matchmaker.types import utcnow
from tests.conftest import submit

# A Redis database of these tests' own (tests/jobs/test_redis.py empties 15).
REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def make_job(db_session):
    """Return a function that stores a job row in a given state (nothing runs it)."""
    def _make(name="tests.progress", status=JobStatus.FINISHED, **values):
        now = utcnow()
        defaults = {"args": {}, "queue": "default", "created_at": now - timedelta(minutes=5)}
        if status in (JobStatus.RUNNING, JobStatus.FINISHED, JobStatus.FAILED):
            defaults |= {"started_at": now - timedelta(minutes=4), "attempts": 1}
        if status in (JobStatus.FINISHED, JobStatus.FAILED):
            defaults["finished_at"] = now - timedelta(minutes=3, seconds=30)
        job = BackgroundJob(name=name, status=status, **(defaults | values))
        db_session.add(job)
        db_session.commit()
        return job
    return _make


TRACEBACK = ('Traceback (most recent call last):\n  File "store.py", line 12, in rebuild\n'
             '    index.fit(session)\nValueError: empty vocabulary; perhaps the documents only '
             'contain stop words\n')


def _jobs_of(db_session, name: str) -> list[BackgroundJob]:
    return db_session.scalars(select(BackgroundJob).where(BackgroundJob.name == name)
                              .order_by(BackgroundJob.id)).all()


# --- who may see and do what --------------------------------------------------------------------

def _urls(job_id: int) -> list[str]:
    return ["/admin/jobs", "/admin/jobs?status=failed", f"/admin/jobs/{job_id}",
            f"/admin/jobs/{job_id}.json"]


def test_anonymous_visitors_are_sent_to_sign_in(client, make_job):
    job = make_job(status=JobStatus.FAILED, error=TRACEBACK)
    for url in _urls(job.id):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    for url, data in ((f"/admin/jobs/{job.id}/retry", {}),
                      ("/admin/jobs/run", {"task": "jobs.sweep"})):
        response = submit(client, url, data, form_url="/")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("account", ["qcut", "h2-ent-01", "broker-zhangmin"])
def test_only_operators_reach_the_jobs_pages(login_as, db_session, make_job, account):
    job = make_job(status=JobStatus.FAILED, error=TRACEBACK)
    before = db_session.scalar(select(func.count()).select_from(BackgroundJob))
    client = login_as(account)
    for url in _urls(job.id):
        assert client.get(url).status_code == 403, url
    assert submit(client, f"/admin/jobs/{job.id}/retry", {}, form_url="/").status_code == 403
    assert submit(client, "/admin/jobs/run", {"task": "jobs.sweep"},
                  form_url="/").status_code == 403
    db_session.refresh(job)
    assert job.status == JobStatus.FAILED and job.attempts == 1
    assert db_session.scalar(select(func.count()).select_from(BackgroundJob)) == before
    assert "/admin/jobs" not in client.get("/").get_data(as_text=True)


def test_operators_find_the_jobs_page_in_the_menu(login_as):
    assert 'href="/admin/jobs"' in login_as("admin").get("/").get_data(as_text=True)


def test_retry_and_run_now_need_the_csrf_token(login_as, make_job):
    client = login_as("admin")
    job = make_job(status=JobStatus.FAILED, error=TRACEBACK)
    assert client.post(f"/admin/jobs/{job.id}/retry").status_code == 400
    assert client.post("/admin/jobs/run", data={"task": "jobs.sweep"}).status_code == 400


# --- the list -----------------------------------------------------------------------------------

def test_the_list_shows_newest_first_with_counts_labels_and_the_failed_count_highlighted(
        login_as, make_job):
    older = make_job(status=JobStatus.FINISHED, created_at=utcnow() - timedelta(hours=2),
                     result={"resent": 0, "lost": 1, "forgotten": 3}, name="jobs.sweep")
    failed = make_job(name="matches.rebuild", status=JobStatus.FAILED, error=TRACEBACK,
                      created_at=utcnow() - timedelta(hours=1))
    running = make_job(status=JobStatus.RUNNING, progress_done=2, progress_total=5,
                       message="ranking", created_at=utcnow())
    html = login_as("admin").get("/admin/jobs").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'data-testid="job" data-job-id="(\d+)"', html)]
    assert ids.index(running.id) < ids.index(failed.id) < ids.index(older.id)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert int(counts["failed"]) >= 1 and int(counts["running"]) >= 1
    assert re.search(r'class="badge text-bg-danger" data-count="failed"', html)
    assert "重建全部匹配" in html and "后台任务清理" in html  # task labels, translated
    # the failed job: the error's last line, the traceback behind a disclosure, a retry button
    assert "ValueError: empty vocabulary; perhaps the documents only contain stop words" in html
    assert "<details" in html and "index.fit(session)" in html
    assert f'action="/admin/jobs/{failed.id}/retry"' in html
    # the running job: a progress bar at 40 %, polled by jobs.js
    assert re.search(rf'data-job-id="{running.id}" data-job-url="/admin/jobs/{running.id}.json"',
                     html)
    assert 'aria-valuenow="40"' in html and "w-pct-40" in html
    assert 'src="/static/js/jobs.js"' in html
    # the finished job: its result summary
    assert re.search(r"旧任务已删除：<span lang=\"en\">3</span>", html)


def test_the_list_filters_by_status_and_by_task(login_as, make_job):
    sweep = make_job(name="jobs.sweep", status=JobStatus.FINISHED)
    failed = make_job(name="tests.fail", status=JobStatus.FAILED, error=TRACEBACK)
    client = login_as("admin")

    def listed(url):
        html = client.get(url).get_data(as_text=True)
        return {int(i) for i in re.findall(r'data-testid="job" data-job-id="(\d+)"', html)}

    assert failed.id in listed("/admin/jobs?status=failed")
    assert sweep.id not in listed("/admin/jobs?status=failed")
    assert listed("/admin/jobs?task=jobs.sweep") >= {sweep.id}
    assert failed.id not in listed("/admin/jobs?task=jobs.sweep")
    assert listed("/admin/jobs?task=jobs.sweep&status=failed") & {sweep.id, failed.id} == set()
    # values that cannot apply are ignored, not errors
    assert {sweep.id, failed.id} <= listed("/admin/jobs?status=bogus&task=no.such")
    assert client.get("/admin/jobs?page=0").status_code == 404


def test_the_list_is_paginated(login_as, make_job, db_session):
    for _ in range(job_views.PER_PAGE + 1):
        db_session.add(BackgroundJob(name="tests.progress", args={}, queue="default",
                                     status=JobStatus.FINISHED))
    db_session.commit()
    client = login_as("admin")
    first = client.get("/admin/jobs").get_data(as_text=True)
    assert len(re.findall(r'data-testid="job" ', first)) == job_views.PER_PAGE
    assert "page=2" in first
    assert 'data-testid="job" ' in client.get("/admin/jobs?page=2").get_data(as_text=True)


# --- a job's page and its JSON ------------------------------------------------------------------

def test_the_job_page_shows_a_running_job_with_its_progress_and_a_refresh_link(login_as,
                                                                              make_job):
    job = make_job(status=JobStatus.RUNNING, progress_done=3, progress_total=4,
                   message="step 3", args={"steps": 4})
    html = login_as("admin").get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert f'data-job-url="/admin/jobs/{job.id}.json" data-job-reload' in html
    assert 'aria-valuenow="75"' in html and "75 % · 3 / 4" in html and "step 3" in html
    assert f'href="/admin/jobs/{job.id}" data-testid="refresh"' in html
    assert "运行中" in html and '{"steps": 4}' in html


def test_the_job_page_of_a_failed_job_shows_the_whole_traceback_and_a_retry_button(login_as,
                                                                                   make_job):
    job = make_job(name="matches.rebuild", status=JobStatus.FAILED, error=TRACEBACK)
    html = login_as("admin").get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "<details class=\"small mt-1\" open>" in html
    assert 'File "store.py", line 12, in rebuild' in html.replace("&#34;", '"')
    assert 'data-testid="retry"' in html and "data-job-url" not in html


def test_the_json_view_reports_status_percent_message_and_error(login_as, make_job):
    client = login_as("admin")
    running = make_job(status=JobStatus.RUNNING, progress_done=1, progress_total=4,
                       message="step 1")
    state = client.get(f"/admin/jobs/{running.id}.json").get_json()
    assert state | {"duration": None, "duration_seconds": None} == {
        "id": running.id, "name": "tests.progress", "status": "running", "is_done": False,
        "percent": 25, "done": 1, "total": 4, "message": "step 1", "error": "", "attempts": 1,
        "status_label": "运行中", "duration": None, "duration_seconds": None}
    assert 235 <= state["duration_seconds"] <= 300
    failed = make_job(status=JobStatus.FAILED, error=TRACEBACK)
    state = client.get(f"/admin/jobs/{failed.id}.json").get_json()
    assert state["is_done"] and state["error"].startswith("ValueError: empty vocabulary")
    assert state["duration"] == "30.0 秒"
    assert client.get("/admin/jobs/999999.json").status_code == 404


# --- retry and run now --------------------------------------------------------------------------

def test_retrying_a_failed_job_runs_it_again(login_as, db_session):
    job = enqueue(db_session, "tests.fail", message="listing 7 vanished")
    db_session.commit()
    client = login_as("admin")  # signing in runs what is queued: the job fails once
    db_session.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    response = submit(client, f"/admin/jobs/{job.id}/retry", {}, form_url=f"/admin/jobs/{job.id}")
    assert response.headers["Location"].endswith(f"/admin/jobs/{job.id}")
    db_session.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)  # it ran again (and failed)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已重新排队：<a class=\"alert-link\" href=\"/admin/jobs/{job.id}\"" in html
    assert "RuntimeError: listing 7 vanished" in html


def test_a_job_that_did_not_fail_is_not_retried(login_as, db_session, make_job):
    job = make_job(status=JobStatus.FINISHED)
    client = login_as("admin")
    response = submit(client, f"/admin/jobs/{job.id}/retry", {}, form_url="/admin/jobs",
                      follow_redirects=True)
    assert "只有失败的任务可以重试" in response.get_data(as_text=True)
    db_session.refresh(job)
    assert (job.status, job.attempts) == (JobStatus.FINISHED, 1)


def test_run_now_queues_a_periodic_task_and_links_to_its_job(login_as, db_session):
    client = login_as("admin")
    before = {job.id for job in _jobs_of(db_session, "jobs.sweep")}
    response = submit(client, "/admin/jobs/run", {"task": "jobs.sweep"}, form_url="/admin/jobs")
    assert response.headers["Location"].endswith("/admin/jobs")
    new = [job for job in _jobs_of(db_session, "jobs.sweep") if job.id not in before]
    assert len(new) == 1 and new[0].status == JobStatus.FINISHED  # sync mode: it already ran
    assert new[0].created_by_id is not None
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert (f'“后台任务清理”已排队：<a class="alert-link" href="/admin/jobs/{new[0].id}" '
            f'data-testid="job-link">任务 #{new[0].id}</a>') in html


def test_run_now_does_not_queue_a_task_that_already_waits(login_as, db_session, monkeypatch):
    client = login_as("admin")
    waiting = enqueue(db_session, "jobs.sweep")
    db_session.commit()
    # Sync mode would run the waiting job at the end of the request; keep it waiting.
    monkeypatch.setattr("matchmaker.jobs.runner.run_queued", lambda *a, **k: 0)
    response = submit(client, "/admin/jobs/run", {"task": "jobs.sweep"}, form_url="/admin/jobs",
                      follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已在等待运行" in html and f'href="/admin/jobs/{waiting.id}"' in html
    assert f'已在等待：<a href="/admin/jobs/{waiting.id}">任务 #{waiting.id}</a>' in html
    assert [job.id for job in _jobs_of(db_session, "jobs.sweep")
            if job.status == JobStatus.QUEUED] == [waiting.id]


def test_run_now_says_when_a_run_of_the_task_is_in_progress(login_as, make_job, db_session):
    running = make_job(name="jobs.sweep", status=JobStatus.RUNNING)
    client = login_as("admin")
    response = submit(client, "/admin/jobs/run", {"task": "jobs.sweep"}, form_url="/admin/jobs",
                      follow_redirects=True)
    assert f'正在运行的任务（<a class="alert-link" href="/admin/jobs/{running.id}"' in \
        response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["tests.progress", "no.such.task", ""])
def test_run_now_refuses_tasks_that_are_not_periodic(login_as, db_session, name):
    client = login_as("admin")
    before = db_session.scalar(select(func.count()).select_from(BackgroundJob))
    response = submit(client, "/admin/jobs/run", {"task": name}, form_url="/admin/jobs",
                      follow_redirects=True)
    assert "该任务不能手动运行" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(BackgroundJob)) == before


def test_the_page_offers_run_now_for_the_periodic_tasks(login_as):
    html = login_as("admin").get("/admin/jobs").get_data(as_text=True)
    offered = re.findall(r'name="task" value="([\w.]+)"', html)
    assert offered == ["imports.erase_old_batches", "jobs.sweep", "matches.rebuild",
                       "matches.refresh",
                       "notifications.digest", "notifications.reminders",
                       "pipeline.expire_ndas", "showcase.erase_contact_requests"]


# --- the status panel ---------------------------------------------------------------------------

def test_the_status_panel_counts_listings_whose_matches_are_stale_or_missing(login_as,
                                                                             db_session,
                                                                             make_job):
    generation = current_generation(db_session)
    outputs = db_session.scalars(select(ResearchOutput.id).where(
        ResearchOutput.status == "published").order_by(ResearchOutput.id).limit(2)).all()
    need = db_session.scalar(select(TechNeed.id).where(TechNeed.status == "published")
                             .order_by(TechNeed.id).limit(1))
    # Saved behind the services' back: their match sets are now older than the listings.
    db_session.execute(update(ResearchOutput).where(ResearchOutput.id.in_(outputs))
                       .values(version=ResearchOutput.version + 1))
    db_session.execute(update(TechNeed).where(TechNeed.id == need)
                       .values(version=TechNeed.version + 1))
    db_session.commit()
    rebuild = make_job(name="matches.rebuild", status=JobStatus.RUNNING, progress_done=1,
                       progress_total=4)
    status = operations.get_match_status(db_session)
    assert status.generation.id == generation.id
    assert status.stale == {"output": 2, "need": 1} and not status.is_current
    assert status.rebuild_running.id == rebuild.id and status.rebuild_waiting is None
    html = login_as("admin").get("/admin/jobs").get_data(as_text=True)
    panel = html[html.index('data-testid="match-status"'):html.index('data-testid="runner-status"')]
    assert "3 条成果或需求在等待匹配结果（成果 2 条，需求 1 条）" in panel
    assert f"第 {generation.id} 代" in panel
    assert f'重建正在运行：<a href="/admin/jobs/{rebuild.id}">任务 #{rebuild.id}</a> (25 %)' in panel
    assert "任务在网站进程内运行" in html  # sync mode: no workers to report


def test_the_status_panel_says_when_every_listing_has_current_matches(login_as, db_session):
    status = operations.get_match_status(db_session)
    assert status.is_current and status.stale_total == 0
    html = login_as("admin").get("/admin/jobs").get_data(as_text=True)
    assert "所有已发布的成果和需求都有最新的匹配结果" in html


class _RQDispatcher:
    mode = "rq"

    def __init__(self, url: str):
        self.url = url

    def redis(self):
        return Redis.from_url(self.url)


def test_in_rq_mode_the_runner_status_lists_live_workers_and_queue_lengths():
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    worker = Worker(["matching", "default"], connection=connection, name="test-worker-1")
    try:
        assert operations.get_runner_status(_RQDispatcher(REDIS_URL)).workers == []
        worker.register_birth()
        from rq import Queue

        Queue("matching", connection=connection).enqueue("builtins.print", "x")
        status = operations.get_runner_status(_RQDispatcher(REDIS_URL))
        assert [(w.name, w.queues) for w in status.workers] == [
            ("test-worker-1", ("matching", "default"))]
        assert status.queues == {"default": 0, "matching": 1} and status.error == ""
    finally:
        worker.register_death()
        connection.flushdb()


def test_in_rq_mode_an_unreachable_redis_is_reported_not_raised():
    status = operations.get_runner_status(_RQDispatcher("redis://127.0.0.1:1/0"))
    assert status.mode == "rq" and status.workers == [] and "ConnectionError" in status.error


@pytest.mark.parametrize("runner, expected", [
    (operations.RunnerStatus("rq", [operations.WorkerInfo("web-1.1234", "idle",
                                                          ("matching", "default"), None, None)],
                             {"default": 0, "matching": 3}),
     ["1 个 RQ 工作进程在运行", "web-1.1234", "3 个任务在等待"]),
    (operations.RunnerStatus("rq", [], {"default": 2}), ["没有 RQ 工作进程在运行"]),
    (operations.RunnerStatus("rq", error="ConnectionError: refused"), ["无法连接 Redis"]),
    (operations.RunnerStatus("thread"), ["后台线程"]),
])
def test_the_runner_panel_says_who_runs_the_jobs(login_as, monkeypatch, runner, expected):
    monkeypatch.setattr(operations, "get_runner_status", lambda dispatcher: runner)
    html = login_as("admin").get("/admin/jobs").get_data(as_text=True)
    panel = html[html.index('data-testid="runner-status"'):html.index('aria-labelledby="run-now')]
    for text in expected:
        assert text in panel


# --- chain edits link to the rebuild they queued ------------------------------------------------

def test_saving_a_chain_links_to_the_rebuild_it_queued(login_as, db_session, monkeypatch):
    monkeypatch.setattr("matchmaker.jobs.runner.run_queued", lambda *a, **k: 0)  # keep it queued
    client = login_as("admin")
    chain = db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
    response = submit(client, f"/admin/chains/{chain.id}/edit",
                      {"key": "hydrogen", "name_zh": chain.name_zh, "name_en": chain.name_en,
                       "description_zh": chain.description_zh,
                       "description_en": chain.description_en,
                       "core_terms": "，".join(chain.core_terms), "is_active": "y",
                       "synonyms": "\n".join(" | ".join(g) for g in chain.synonym_groups)},
                      follow_redirects=True)
    rebuild = [job for job in _jobs_of(db_session, "matches.rebuild")
               if job.status == JobStatus.QUEUED]
    assert len(rebuild) == 1
    html = response.get_data(as_text=True)
    assert "产业链已保存。匹配结果正在后台重新计算" in html
    assert f'href="/admin/jobs/{rebuild[0].id}" data-testid="job-link"' in html
    assert "当前的匹配结果在此期间仍然可见" in html


# --- small pieces -------------------------------------------------------------------------------

def test_every_task_label_has_a_chinese_translation(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("zh"):
        untranslated = [spec.label for spec in TASKS.values()
                        if spec.label and operations.task_label(spec.name) == spec.label]
    assert untranslated == [], "add the label to admin/operations.TASK_LABELS and translate it"


@pytest.mark.parametrize("seconds, zh, en", [
    (4.25, "4.2 秒", "4.2 s"), (185, "3 分 5 秒", "3 min 5 s"), (7500, "2 小时 5 分", "2 h 5 min"),
])
def test_durations_read_naturally_in_both_languages(app, seconds, zh, en):
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("zh"):
            assert job_views.format_duration(timedelta(seconds=seconds)) == zh
        with force_locale("en"):
            assert job_views.format_duration(timedelta(seconds=seconds)) == en
        assert job_views.format_duration(None) == "—"


def test_error_summary_is_the_exception_line():
    assert operations.error_summary(TRACEBACK).startswith("ValueError: empty vocabulary")
    assert operations.error_summary("") == ""
