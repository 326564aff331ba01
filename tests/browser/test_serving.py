"""The browser tests' live server stops only after its last request (tests.browser.conftest):
a request thread left running held a database transaction while the test's schema was dropped,
which deadlocked on PostgreSQL."""
import threading
import time
import urllib.request

import pytest

from tests.browser.conftest import _InFlight, serving


def test_leaving_waits_for_the_request_in_flight():
    started, release = threading.Event(), threading.Event()
    finished = []

    def slow_app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            started.set()
            release.wait(timeout=10)
            finished.append(time.monotonic())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]

    responses = []
    with serving(slow_app) as base:
        client = threading.Thread(
            target=lambda: responses.append(urllib.request.urlopen(f"{base}/slow").read()))
        client.start()
        assert started.wait(timeout=10)
        threading.Timer(0.3, release.set).start()
    left = time.monotonic()  # serving() has returned: the slow request must be over
    client.join(timeout=10)
    assert finished and finished[0] <= left
    assert responses == [b"done"]


def test_a_closed_guard_answers_503_without_calling_the_app():
    called = []

    def app(environ, start_response):
        called.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"ok"]

    guard = _InFlight(app)
    guard.close(timeout=1)
    statuses = []
    body = guard({"PATH_INFO": "/late"}, lambda status, headers: statuses.append(status))
    assert statuses == ["503 Service Unavailable"] and b"".join(body)
    assert called == []


def test_a_request_that_outlives_the_timeout_fails_the_teardown():
    started, release = threading.Event(), threading.Event()

    def stuck(environ, start_response):
        started.set()
        release.wait(timeout=10)
        start_response("200 OK", [])
        return [b""]

    guard = _InFlight(stuck)
    worker = threading.Thread(target=lambda: guard({}, lambda *a: None))
    worker.start()
    assert started.wait(timeout=10)
    with pytest.raises(AssertionError, match="still running"):
        guard.close(timeout=0.2)
    release.set()
    worker.join(timeout=10)


def test_the_server_answers_until_it_is_asked_to_stop():
    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"up"]

    with serving(app) as base:
        assert urllib.request.urlopen(f"{base}/").read() == b"up"
