"""Time the pipeline's reads at 10k deals: the board's columns, the today lists and a list page.

    python -m bench.pipeline --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mm_bench

The database is migrated and seeded (demo accounts) if needed, then filled with bench deals
(bulk inserts, not the services: this measures reads) up to --deals, spread over the demo
brokers, stages and chains, with next steps and last activity spread over ±60 days. Prints
p50/p95 in milliseconds per query and writes bench/results/pipeline-latest.json. The pages
(issue 9's board and today page) add rendering on top of these queries.
"""
import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from config import TestConfig
from matchmaker import create_app
from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.domain import Role
from matchmaker.extensions import db
from matchmaker.pipeline import clock, services
from matchmaker.pipeline.models import Deal, DealStage
from matchmaker.profiles.models import TechNeed

RESULTS = Path(__file__).resolve().parent / "results"


def _fill(session, target: int) -> int:
    have = session.scalar(select(func.count()).select_from(Deal))
    if have >= target:
        return have
    rng = random.Random(9)
    brokers = session.scalars(select(User.id).where(User.role == Role.BROKER)).all()
    stages = session.scalars(select(DealStage)).all()
    chains = session.scalars(select(Chain.id)).all()
    needs = session.scalars(select(TechNeed.id)).all()
    now = datetime.now(UTC)
    rows = []
    for n in range(have, target):
        stage = rng.choice(stages)
        rows.append({
            "title": f"bench deal {n}", "need_id": rng.choice(needs), "owner_id": rng.choice(brokers),
            "chain_id": rng.choice(chains), "stage_id": stage.id, "is_open": stage.key != "lost",
            "lost_reason": "other" if stage.key == "lost" else None,
            "expected_value": rng.randrange(20, 2000), "next_step": "跟进",
            "next_step_due": (now + timedelta(days=rng.randrange(-20, 40))).date(),
            "ip_checked": False, "team_willing": False, "terms_note": "", "landing_name": "",
            "landing_address": "", "nda_status": "none", "showcase_material": "",
            "lost_note": "", "snooze_reason": "",
            "stage_entered_at": now - timedelta(days=rng.randrange(0, 90)),
            "last_activity_at": now - timedelta(days=rng.randrange(0, 90)),
            "created_at": now, "updated_at": now, "version": 1})
    for start in range(0, len(rows), 2000):
        session.execute(insert(Deal), rows[start:start + 2000])
    session.commit()
    return target


def _time(call, repeat: int) -> dict:
    call()  # warm the caches once
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": args.database_url})
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade
        from werkzeug.security import generate_password_hash

        from matchmaker.seed import load_seed

        upgrade()
        session = db.session
        if not session.scalar(select(func.count()).select_from(User)):
            load_seed(session, app.config["SEED_DIR"],
                      password_hash=generate_password_hash("bench", "pbkdf2:sha256:1000"))
            session.commit()
        total = _fill(session, args.deals)
        broker = session.scalar(select(User).where(User.email == "broker-zhangmin@demo.example.com"))
        admin = session.scalar(select(User).where(User.role == Role.ADMIN))
        stages = services.list_stages(session)
        owned = session.scalar(select(func.count()).select_from(Deal)
                               .where(Deal.owner_id == broker.id))

        def page(viewer):
            return lambda: session.scalars(services.list_deals_query(
                viewer, services.DealFilters(), stages=stages).limit(50)).all()

        figures = {
            "board, one broker": _time(lambda: services.board_summary(session, broker),
                                       args.repeat),
            "board, operator (all deals)": _time(lambda: services.board_summary(session, admin),
                                                 args.repeat),
            "today, one broker": _time(lambda: services.today_lists(session, broker),
                                       args.repeat),
            "list page of 50, one broker": _time(page(broker), args.repeat),
            "list page of 50, operator": _time(page(admin), args.repeat),
            "stale filter, operator": _time(lambda: session.scalars(services.list_deals_query(
                admin, services.DealFilters(stale=True), stages=stages).limit(50)).all(),
                args.repeat),
        }
    result = {"deals": total, "broker_deals": owned, "dialect": args.database_url.split(":")[0],
              "at": clock.now().isoformat(), "figures": figures}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pipeline-latest.json").write_text(json.dumps(result, indent=1))
    print(f"{total} deals ({owned} of one broker), {args.repeat} runs each")
    for name, figure in figures.items():
        print(f"  {name:32s} p50 {figure['p50_ms']:7.1f} ms   p95 {figure['p95_ms']:7.1f} ms")


if __name__ == "__main__":
    main()
