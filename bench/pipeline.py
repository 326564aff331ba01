"""How fast the broker's board and today page answer at 10k deals, in-process.

    python -m bench.pipeline                      # SQLite and PostgreSQL, 10k deals, 40 requests
    python -m bench.pipeline --databases sqlite --deals 2000 --requests 20   # a quick look

For each database: a scratch database (a temporary SQLite file; PostgreSQL database
mm_uibench, created if missing and emptied) is migrated, loaded with seed_data/ (listings,
brokers, stages, the seed deals), given 250 more brokers (the general window trained 258),
and filled with --deals deals spread evenly over every broker,
stage and chain of the seed, with next steps due from three weeks ago to a month ahead, idle
times up to two months (so overdue and stale flags exist), snoozes, tasks and pending
introduction requests. Then a Flask test client signed in as a demo broker (a realistic share,
about 40 deals) and one signed in as the operator (every deal)
request the board, the today page and the deal list N times each, after a warm-up; /healthz
(no database, no session) is timed in the same run as the baseline. Printed: median and p95
in milliseconds and the ratio of each median to /healthz's. JSON goes to
bench/results/pipeline-<time>.json and pipeline-latest.json. No thresholds: figures to read.
"""
import argparse
import json
import random
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

from bench.common import machine, percentile

RESULTS = Path(__file__).resolve().parent / "results"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mm_uibench"
BROKER = "broker-zhangmin"
PASSWORD = "bench-pass-2026"
PAGES = ("/deals/board", "/deals/today", "/deals/")
# The general window trained 258 brokers (DOMAIN.md): with the seed's brokers, 10k deals give
# each about 40, the signed-in broker's realistic share.
BROKERS = 250


def _config(url: str):
    from config import Config

    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-not-secret",
        "JOBS_MODE": "sync", "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False, "MATCH_INDEX_PATH": None, "DEBUG": False})


def _prepare_postgres(url: str) -> None:
    """Create the database if it is missing, then empty its public schema."""
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(url: str, deals: int, seed: int = 7):
    """Return an app on a new database at url holding the seed and `deals` more deals."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from matchmaker.app import create_app
    from matchmaker.extensions import db
    from matchmaker.seed import load_seed

    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        load_seed(db.session, app.config["SEED_DIR"],
                  password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
        db.session.commit()
        _fill(db.session, deals, random.Random(seed))
        db.session.commit()
        db.session.remove()
    return app


def _fill(session, count: int, rng: random.Random) -> None:
    """Insert count deals (and their tasks and a few introduction requests) in bulk."""
    from matchmaker.auth.models import Broker, User
    from matchmaker.domain import LostReason
    from matchmaker.pipeline.models import Deal, DealStage, DealTask, IntroductionRequest
    from matchmaker.profiles.models import ResearchOutput, TechNeed

    _add_brokers(session, BROKERS)
    brokers = [b.user_id for b in session.scalars(select(Broker).join(User).where(
        User.status == "active"))]
    stages = list(session.scalars(select(DealStage).order_by(DealStage.position)))
    lost = next(s for s in stages if s.key == "lost")
    open_stages = [s for s in stages if s.key != "lost"]
    outputs = session.execute(select(ResearchOutput.id, ResearchOutput.chain_id).where(
        ResearchOutput.status != "draft")).all()
    needs = session.execute(select(TechNeed.id, TechNeed.chain_id).where(
        TechNeed.status != "draft")).all()
    now = datetime.now(UTC)
    today = now.date()
    rows = []
    for n in range(count):
        output, need = rng.choice(outputs), rng.choice(needs)
        is_lost = rng.random() < 0.1
        stage = lost if is_lost else rng.choice(open_stages)
        idle = timedelta(days=rng.uniform(0, 60))
        rows.append({
            "title": f"基准项目 {n:05d}", "output_id": output.id,
            "need_id": need.id if rng.random() < 0.85 else None,
            "owner_id": rng.choice(brokers), "chain_id": output.chain_id, "stage_id": stage.id,
            "is_open": not is_lost, "expected_value": Decimal(rng.randrange(20, 2000)),
            "probability": rng.choice([None, None, None, rng.randrange(0, 101)]),
            "next_step": "跟进双方意向", "next_step_due": today + timedelta(
                days=rng.randint(-20, 30)),
            "lost_reason": rng.choice(list(LostReason)).value if is_lost else None,
            "snoozed_until": today + timedelta(days=10) if rng.random() < 0.05 else None,
            "snooze_reason": "等待专利授权", "nda_status": "none",
            "stage_entered_at": now - idle, "last_activity_at": now - idle,
            "created_at": now - idle - timedelta(days=rng.uniform(0, 90)), "updated_at": now,
            "version": 1})
    for start in range(0, len(rows), 2000):
        session.execute(insert(Deal), rows[start:start + 2000])
    ids = session.execute(select(Deal.id, Deal.owner_id).where(
        Deal.title.like("基准项目 %"))).all()
    tasks = [{"deal_id": deal_id, "title": "准备材料", "assignee_id": owner,
              "created_by_id": owner, "due_on": today + timedelta(days=rng.randint(-10, 10)),
              "created_at": now} for deal_id, owner in ids if rng.random() < 0.33]
    for start in range(0, len(tasks), 2000):
        session.execute(insert(DealTask), tasks[start:start + 2000])
    requester = session.scalar(select(User.id).where(User.role == "enterprise"))
    session.execute(insert(IntroductionRequest), [
        {"need_id": rng.choice(needs).id, "output_id": rng.choice(outputs).id,
         "requested_by_id": requester, "broker_id": rng.choice(brokers), "message": "请引荐",
         "status": "pending", "created_at": now} for _ in range(max(1, count // 200))])
    session.flush()


def _add_brokers(session, count: int) -> None:
    """Add count active broker accounts beside the seed's (who cannot sign in: no password)."""
    from matchmaker.auth.models import Broker, User

    now = datetime.now(UTC)
    session.execute(insert(User), [
        {"email": f"bench-broker-{n}@bench.invalid", "password_hash": "!",
         "_display_name": f"经纪人{n:03d}", "role": "broker", "status": "active",
         "created_at": now, "approved_at": now} for n in range(count)])
    ids = session.scalars(select(User.id).where(User.email.like("bench-broker-%")))
    session.execute(insert(Broker), [{"user_id": user_id} for user_id in ids])
    session.flush()


def _client(app, key: str):
    from matchmaker.seed import demo_email

    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"csrf_token": token, "email": demo_email(key),
                                                "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    # The privacy notice's consent banner is part of every page until accepted; accept it so
    # that the pages are measured as a returning user sees them.
    page = client.get("/").get_data(as_text=True)
    if 'data-testid="consent-banner"' in page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/account/consent", data={"csrf_token": token})
    return client


def _time(client, url: str, requests: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def measure(app, requests: int) -> dict:
    """Return {who: {url: {median_ms, p95_ms, ratio}}} and the deal shares."""
    from matchmaker.auth.models import User
    from matchmaker.extensions import db
    from matchmaker.pipeline.models import Deal
    from matchmaker.seed import demo_email

    with app.app_context():
        broker_id = db.session.scalar(select(User.id).where(User.email == demo_email(BROKER)))
        total = db.session.scalar(select(func.count()).select_from(Deal))
        mine = db.session.scalar(select(func.count()).select_from(Deal).where(
            Deal.owner_id == broker_id))
        db.session.remove()
    anonymous = app.test_client()
    figures = {"deals": total, "broker_deals": mine, "pages": {}}
    baseline = _time(anonymous, "/healthz", requests)
    base_median = percentile(baseline, 0.5)
    figures["pages"]["/healthz"] = {"median_ms": base_median,
                                    "p95_ms": percentile(baseline, 0.95), "ratio": 1.0}
    for who, key in (("broker", BROKER), ("operator", "admin")):
        client = _client(app, key)
        for url in PAGES:
            samples = _time(client, url, requests)
            median = percentile(samples, 0.5)
            figures["pages"][f"{who} {url}"] = {
                "median_ms": median, "p95_ms": percentile(samples, 0.95),
                "ratio": median / base_median if base_median else float("nan")}
    return figures


def _print(database: str, figures: dict, build_s: float) -> None:
    print(f"\n{database}: {figures['deals']} deals ({figures['broker_deals']} of them the "
          f"broker's), built in {build_s:.0f} s")
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'× healthz':>10}")
    for page, row in figures["pages"].items():
        print(f"{page:32} {row['median_ms']:10.1f} {row['p95_ms']:8.1f} {row['ratio']:10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    report = {"machine": machine(), "deals": args.deals, "requests": args.requests,
              "at": datetime.now(UTC).isoformat(timespec="seconds"), "databases": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for database in args.databases.split(","):
            if database == "sqlite":
                url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
            else:
                url = args.pg_url
                _prepare_postgres(url)
            start = time.perf_counter()
            app = build(url, args.deals)
            build_s = time.perf_counter() - start
            figures = measure(app, args.requests)
            figures["build_s"] = build_s
            report["databases"][database] = figures
            _print(database, figures, build_s)
            from matchmaker.extensions import db

            with app.app_context():
                db.engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for name in (f"pipeline-{stamp}.json", "pipeline-latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
