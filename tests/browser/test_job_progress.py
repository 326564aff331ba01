"""An operator watches a long job's progress bar advance in a real browser, at phone and
desktop widths: static/js/jobs.js polls the job's JSON every 2 s and moves the bar, and the
page shows the result once the job is done."""
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from matchmaker.extensions import db
from matchmaker.jobs import BackgroundJob, JobStatus, enqueue, run_job
from tests.admin.tasks import open_gate
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STEPS = 4
NO_SIDEWAYS_SCROLL_JS = ("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")


def _job(app, job_id: int) -> BackgroundJob:
    with app.app_context():
        job = db.session.get(BackgroundJob, job_id)
        db.session.expunge(job)
        db.session.remove()
        return job


@pytest.fixture
def stepped_job(app):
    """A tests.stepped job, claimed and run by a runner thread of its own, that waits at 0 of
    STEPS until the test releases its gate; yield (job id, gate). Deleted afterwards."""
    name = uuid.uuid4().hex[:8]
    gate = open_gate(name)
    with app.app_context():
        job_id = enqueue(db.session, "tests.stepped", gate=name, steps=STEPS).id
        db.session.commit()
        db.session.remove()

    def run():
        with app.app_context():
            try:
                run_job(db.session, job_id)
            finally:
                db.session.remove()

    runner = threading.Thread(target=run, name="stepped-job", daemon=True)
    runner.start()
    for _ in range(200):  # the runner claims it and reports 0 of STEPS
        if _job(app, job_id).progress_total == STEPS:
            break
        threading.Event().wait(0.05)
    try:
        yield job_id, gate
    finally:
        for _ in range(STEPS):
            gate.release()
        runner.join(timeout=10)
        with app.app_context():
            db.session.execute(delete(BackgroundJob).where(BackgroundJob.id == job_id))
            db.session.commit()
            db.session.remove()


def _bar_at(page, percent: int) -> None:
    page.wait_for_selector(f'[data-job-progressbar][aria-valuenow="{percent}"]', timeout=10_000)


@pytest.mark.parametrize("width", [390, 1366])
def test_the_progress_bar_follows_a_running_job_until_it_is_done(live_server, page, app,
                                                                 stepped_job, width):
    job_id, gate = stepped_job
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "admin")
    assert _job(app, job_id).status == JobStatus.RUNNING

    page.goto(f"{live_server}/admin/jobs/{job_id}")
    bar = page.locator("[data-job-bar]")
    assert page.get_attribute("[data-job-progressbar]", "aria-valuenow") == "0"
    assert "w-pct-0" in bar.get_attribute("class")
    assert page.locator('[data-testid="refresh"]').is_visible()  # the way without JavaScript
    widths = []
    for step in (1, 2):
        gate.release()
        _bar_at(page, 100 * step // STEPS)
        assert page.inner_text("[data-job-message]") == f"step {step} of {STEPS}"
        assert f"{100 * step // STEPS} % · {step} / {STEPS}" in page.inner_text(
            "[data-job-percent]")
        widths.append(bar.bounding_box()["width"])
    assert 0 < widths[0] < widths[1]
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"job-progress-{width}.png"), full_page=True)

    # The list polls its running jobs too; when the job ends its badge says so.
    page.goto(f"{live_server}/admin/jobs")
    row = page.locator(f'[data-testid="job"][data-job-id="{job_id}"]')
    assert row.locator("[data-job-progressbar]").get_attribute("aria-valuenow") == "50"
    assert page.evaluate(NO_SIDEWAYS_SCROLL_JS)
    page.screenshot(path=str(ARTIFACTS / f"jobs-list-{width}.png"), full_page=True)
    gate.release()
    page.wait_for_selector(f'[data-job-id="{job_id}"] [data-job-progressbar][aria-valuenow="75"]')
    gate.release()
    page.wait_for_selector(f'[data-job-id="{job_id}"][data-job-state="finished"]')
    assert row.locator("[data-job-status]").inner_text() == "已完成"

    # The job's page, opened while it ran, reloads itself when the job is done.
    assert _job(app, job_id).status == JobStatus.FINISHED
    page.goto(f"{live_server}/admin/jobs/{job_id}")
    assert page.locator('[data-testid="job-progress"]').count() == 0
    assert "已完成" in page.inner_text('[data-testid="job-detail"]')


def test_the_job_page_reloads_with_the_result_when_the_job_finishes(live_server, page, app,
                                                                    stepped_job):
    job_id, gate = stepped_job
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/jobs/{job_id}")
    for _ in range(STEPS):
        gate.release()
    page.wait_for_selector('[data-testid="job-result"]', timeout=15_000)
    assert page.locator('[data-testid="job-progress"]').count() == 0
    assert "steps" in page.inner_text('[data-testid="job-result"]')
    with app.app_context():
        assert db.session.scalar(select(BackgroundJob.status).where(
            BackgroundJob.id == job_id)) == JobStatus.FINISHED
        db.session.remove()
