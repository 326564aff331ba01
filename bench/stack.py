"""The production stack for benchmarks: a PostgreSQL database with benchmark data, and
scripts/serve.sh (gunicorn, RQ workers, scheduler) started and stopped around a measurement.

Used by bench/load.py and bench/freshness.py. Everything runs on loopback.
"""
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Self

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/mm_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
INDEX_PATH = ROOT / "bench" / "results" / "bench-match-index.pickle"
BROKER = "broker-zhangmin@demo.example.com"
PASSWORD = os.environ.get("MATCHMAKER_DEMO_PASSWORD", "demo-pass-2026")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def environment(port: int, **extra) -> dict:
    """The environment of the stack (and of flask commands) for the benchmark database."""
    return {**os.environ, "FLASK_APP": "wsgi", "MATCHMAKER_ENV": "production",
            "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "PORT": str(port),
            "BIND": "127.0.0.1", "SECRET_KEY": "benchmark-only-not-secret",
            "MATCH_INDEX_PATH": str(INDEX_PATH),
            # Every client signs in from 127.0.0.1: the per-address sign-in limit would refuse
            # the 50 sign-ins of a run; the benchmark raises it, nothing else changes.
            "LOGIN_RATE_LIMIT": "1000 per minute", **extra}


def flask(*args: str, port: int = 0) -> str:
    """Run a flask command against the benchmark database; return its output."""
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), *args], cwd=ROOT,
                          env=environment(port, JOBS_MODE="sync"), capture_output=True,
                          text=True, check=False)
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def listing_counts() -> dict:
    """Return the published benchmark listings in the benchmark database (0 if none)."""
    engine = create_engine(DATABASE_URL)
    try:
        with engine.connect() as conn:
            counts = {}
            for table in ("research_outputs", "tech_needs"):
                counts[table] = conn.scalar(text(
                    f"SELECT count(*) FROM {table} WHERE ref LIKE 'bench-%' "
                    f"AND status = 'published'"))
            counts["generation"] = conn.scalar(text(
                "SELECT count(*) FROM match_generations WHERE status = 'current'"))
            return counts
    except Exception:  # noqa: BLE001  (a missing database or schema: nothing there yet)
        return {"research_outputs": 0, "tech_needs": 0, "generation": 0}
    finally:
        engine.dispose()


def prepare(outputs: int, needs: int) -> None:
    """Make sure the benchmark database holds outputs + needs benchmark listings with stored
    matches (creating the database, loading seed and benchmark data and rebuilding if not)."""
    counts = listing_counts()
    if counts["research_outputs"] == outputs and counts["tech_needs"] == needs \
            and counts["generation"]:
        log(f"benchmark database ready: {outputs} outputs, {needs} needs, stored matches")
        return
    admin = create_engine(DATABASE_URL.rsplit("/", 1)[0] + "/postgres",
                          isolation_level="AUTOCOMMIT")
    name = DATABASE_URL.rsplit("/", 1)[1]
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    log("migrating and loading seed data")
    flask("db", "upgrade")
    flask("seed", "--if-changed")
    log(f"making {outputs} outputs and {needs} needs (flask bench-data)")
    flask("bench-data", "--outputs", str(outputs), "--needs", str(needs))
    log("computing the stored matches (flask match rebuild; minutes at 100k)")
    started = time.perf_counter()
    print(flask("match", "rebuild").strip(), file=sys.stderr)
    log(f"rebuild took {time.perf_counter() - started:.0f} s")
    engine = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would do after a while
    engine.dispose()


class Stack:
    """scripts/serve.sh as a child process (its own process group), stopped on exit."""

    def __init__(self, port: int, *, web_concurrency: int | None = None):
        self.port, self.base = port, f"http://127.0.0.1:{port}"
        self.web_concurrency = web_concurrency
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Self:
        extra = {"WEB_CONCURRENCY": str(self.web_concurrency)} if self.web_concurrency else {}
        self.log = open(ROOT / "bench" / "results" / f"serve-{self.port}.log", "w")
        self.process = subprocess.Popen(["bash", "scripts/serve.sh"], cwd=ROOT,
                                        env=environment(self.port, **extra), stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"serve.sh stopped (status {self.process.returncode}); "
                                 f"see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200 and \
                        self.worker_ready():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise SystemExit(f"serve.sh did not get ready in {timeout:.0f} s; see {self.log.name}")

    def worker_ready(self) -> bool:
        """Return whether the matching worker has loaded its index (it says so in the log)."""
        return "Matcher index ready" in Path(self.log.name).read_text(errors="replace")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """An HTTP client that keeps cookies as a browser on an HTTPS site would.

    The production config marks cookies Secure and the stack is served over plain loopback
    HTTP, so cookies are read from Set-Cookie and sent explicitly, as a TLS proxy in front of
    the stack would let a browser do."""

    def __init__(self, base: str):
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs) -> httpx.Response:
        response = self.client.request(method, url, headers={"Cookie": cookie_header(
            self.cookies)}, **kwargs)
        self.cookies |= _set_cookies(response)
        return response

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self.client.close()


def sign_in(base: str, email: str = BROKER) -> Browser:
    """Sign in through the login form; return the signed-in Browser."""
    browser = Browser(base)
    page = browser.get("/auth/login")
    response = browser.post("/auth/login", data={"csrf_token": _CSRF.search(page.text).group(1),
                                                 "email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed ({response.status_code}): {response.text[:300]}")
    return browser


def _set_cookies(response) -> dict:
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def cookie_header(cookies: dict) -> str:
    """Return the Cookie header that sends cookies."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def benchmark_ids(limit: int = 2000, seed: int = 11) -> dict:
    """Return random ids of published benchmark outputs and needs that have stored matches."""
    engine = create_engine(DATABASE_URL)
    with engine.connect() as conn:
        ids = {}
        for side, table in (("output", "research_outputs"), ("need", "tech_needs")):
            ids[side] = list(conn.scalars(text(
                f"SELECT t.id FROM {table} t JOIN match_sets s ON s.profile_id = t.id "
                f"AND s.side = :side JOIN match_generations g ON g.id = s.generation_id "
                f"AND g.status = 'current' WHERE t.ref LIKE 'bench-%' AND s.notice IS NULL "
                f"ORDER BY md5(t.id::text || :seed) LIMIT :limit"),
                {"side": side, "seed": str(seed), "limit": limit}))
    engine.dispose()
    return ids


class _FormFields(HTMLParser):
    """The fields a browser would submit from the form whose action ends with action."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, []
        self._select = self._textarea = None
        self._option_value = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            # A form without an action posts to the page it is on (action is that page's URL).
            self.inside = (a.get("action") or self.action).endswith(self.action)
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button"):
                self.fields.append((a["name"], a.get("value", "y" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.fields.append((self._textarea, ""))

    def handle_data(self, data):
        if self.inside and self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, action: str) -> list[tuple[str, str]]:
    """Return the (name, value) pairs the form posting to action would send as it stands."""
    parser = _FormFields(action)
    parser.feed(html)
    return parser.fields


def write_result(name: str, args, figures: dict) -> Path:
    """Write a run's figures with its arguments, the benchmark database's listings, the machine
    and the engine to bench/results/<name>-<time>.json; print and return the path."""
    import json

    from bench.common import engine_state, machine

    results = Path(__file__).resolve().parent / "results"
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "args": vars(args),
              "listings": listing_counts(), "figures": figures, "machine": machine(),
              "engine": engine_state()}
    path = results / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten to {path.relative_to(results.parent.parent)}")
    return path
