"""A live server on a free local port and a real headless Chromium driven by Playwright."""
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from matchmaker.extensions import db
from matchmaker.jobs import enqueue, run_queued
from tests.conftest import make_committed_app, own_database_url

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


class _InFlight:
    """WSGI middleware that counts the requests being handled and, once closed, refuses new
    ones with 503 without reaching the app: a server is torn down only after its last request
    has finished, so no request thread still holds a database transaction when the test's
    database is dropped (on PostgreSQL a lingering one deadlocks DROP SCHEMA)."""

    def __init__(self, app):
        self.app = app
        self.closed = False
        self._active = 0
        self._idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self._idle:
            if self.closed:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"the test server is shutting down"]
            self._active += 1
        try:
            # Read the whole body inside the count: the app may stream it.
            result = self.app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def close(self, timeout: float) -> None:
        """Refuse new requests and wait for those in flight; fail if one outlives timeout."""
        with self._idle:
            self.closed = True
            if not self._idle.wait_for(lambda: self._active == 0, timeout=timeout):
                raise AssertionError(f"{self._active} request(s) still running {timeout} s "
                                     "after the test server was asked to stop")


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve app on 127.0.0.1 in a background thread; yield its base URL. On leaving, wait for
    the requests still being handled (a browser may still be loading an image) to finish."""
    guarded = _InFlight(app)
    server = make_server("127.0.0.1", 0, guarded, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        guarded.close(timeout=60)
        server.server_close()


@contextmanager
def own_seeded_app(tmp_path_factory, name: str, *, matches: bool = False):
    """Yield a seeded app on a database of its own: a SQLite file, or a PostgreSQL schema
    dropped afterwards. For browser tests that commit (deal history cannot be deleted, so
    they cannot share the suite's database). matches: compute the stored matches too."""
    with own_database_url(tmp_path_factory.mktemp(name), name) as url:
        app = make_committed_app(url)
        try:
            if matches:
                with app.app_context():
                    enqueue(db.session, "matches.rebuild")
                    db.session.commit()
                    run_queued(db.session)
                    db.session.remove()
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(app):
    """Serve app on 127.0.0.1 in a background thread; yield its base URL."""
    with serving(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless; a missing browser fails the run instead of skipping."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package "
                    "(.ci/run does this) or set CHROMIUM_PATH.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab; the sign-in rate limit starts fresh too (tests sign in often)."""
    from matchmaker.extensions import limiter

    limiter.reset()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page, base_url: str, key: str) -> None:
    """Sign in through the login form as the demo account of seed key."""
    from matchmaker.seed import demo_email
    from tests.conftest import DEMO_PASSWORD

    page.goto(f"{base_url}/auth/login")
    page.fill("#email", demo_email(key))
    page.fill("#password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base_url}/")
