"""How many rows per second the bulk import checks (dry run) and writes, at 10,000 rows.

    python -m bench.import_rows                       # SQLite, 10,000 outputs, 3 runs
    python -m bench.import_rows --rows 2000 --repeat 1   # a quick look
    python -m bench.import_rows --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mm_importbench

A scratch database (a temporary SQLite file, or the PostgreSQL database given, emptied) is
migrated and loaded with seed_data/. A 10,000-row xlsx of research outputs is generated in
memory (deterministic: random.Random(7)): titles of five words drawn from a pool of technical
terms, so that rows are not duplicates of each other; an abstract, keywords, TRL, transfer
modes and a chain; the institution written as the seed's names, short names and English names
in turn (the alias lookup is exercised). The operator's rights are used (permissions.SYSTEM).

Timed, each --repeat times, medians printed:
- baseline: openpyxl loading the same file and reading every cell (what any import must pay);
- read: the importer's reading (merged cells, formulas, header detection) of the file;
- dry run: read + plan_import (form validation per row, organisations, duplicates);
- write: dry run + apply_import through create_output (signals, history, the match refresh
  jobs queued) and the commit; the database is emptied of the rows before the next run.
Rows per second and the ratio of each median to the baseline's are printed; JSON goes to
bench/results/import-<time>.json and import-latest.json. No thresholds: figures to read.
"""
import argparse
import io
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import machine

RESULTS = Path(__file__).resolve().parent / "results"
_TERM_TEXT = (
    "钛合金 气雾化 细粉 电解槽 膜电极 催化剂 隔膜 双极板 储氢 加氢 燃料电池 碳化硅 氮化镓 晶圆 "
    "光刻胶 封装 激光器 光纤 探测器 光栅 钙钛矿 异质结 硅片 逆变器 组件 毫米波 雷达 激光雷达 "
    "域控制器 线控制动 电池包 热管理 增材制造 熔覆 粉末床 叶片 涂层 传感器 算法 标定 在线监测 "
    "寿命预测 低成本 高可靠 连续化 轻量化 国产化 回收 绿色 低温 高温 柔性 大尺寸 高纯 纳米 复合 "
    "陶瓷 聚合物 薄膜 焊接 模压 喷涂 烧结 刻蚀 沉积 抛光 检测 诊断 控制 调度 仿真 优化")
TERMS = _TERM_TEXT.split()
ABSTRACT = ("课题组围绕{a}与{b}开展攻关，建立了{c}工艺路线，完成中试验证：关键指标提升约{n}%，"
            "单位成本下降{m}%，已在两家企业试运行，可按许可或合作开发方式转化。")
MODES = ("许可", "转让", "合作开发", "许可，合作开发", "作价入股")


def _config(url: str):
    from config import Config

    return type("BenchConfig", (Config,), {
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-not-secret",
        "JOBS_MODE": "sync", "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False, "MATCH_INDEX_PATH": None, "DEBUG": False})


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(url: str):
    """Return an app on a new database at url holding the seed."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from matchmaker.app import create_app
    from matchmaker.extensions import db
    from matchmaker.seed import load_seed

    if url.startswith("postgresql"):
        _empty_postgres(url)
    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        load_seed(db.session, app.config["SEED_DIR"],
                  password_hash=generate_password_hash("bench-pass", "pbkdf2:sha256:1000"))
        db.session.commit()
    return app


def make_file(app, rows: int) -> bytes:
    """Return an xlsx of rows research outputs (see the module docstring)."""
    from openpyxl import Workbook

    from matchmaker.extensions import db
    from matchmaker.orgs.models import Institution

    with app.app_context():
        names = [n for i in db.session.query(Institution).order_by(Institution.id)
                 for n in (i.name, *(i.aliases or [])[:1], i.name_en) if n]
    rng = random.Random(7)
    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "完成单位", "成果名称", "成果简介", "关键词", "技术成熟度", "转化方式",
                  "产业链"])
    chains = ["氢能", "光伏", "半导体与集成电路", "增材制造", "光子", "智能网联汽车"]
    for number in range(rows):
        words = rng.sample(TERMS, 5)
        sheet.append([
            f"BENCH-{number:05d}", names[number % len(names)], "".join(words),
            ABSTRACT.format(a=words[0], b=words[1], c=words[2], n=rng.randint(10, 60),
                            m=rng.randint(5, 40)),
            "，".join(words[:3]), rng.randint(3, 8), rng.choice(MODES), rng.choice(chains)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _baseline(content: bytes) -> int:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return sum(1 for row in sheet.iter_rows(values_only=True) for _cell in row)


def _clear(app) -> None:
    """Delete the rows a write run added (and the jobs it queued), for the next run."""
    from sqlalchemy import delete, select

    from matchmaker.extensions import db
    from matchmaker.jobs.models import BackgroundJob
    from matchmaker.profiles.models import ResearchOutput

    with app.app_context():
        for output in db.session.scalars(select(ResearchOutput).where(
                ResearchOutput.ref.like("BENCH-%"))):
            db.session.delete(output)
        db.session.execute(delete(BackgroundJob))
        db.session.commit()


def run(app, content: bytes, rows: int, repeat: int) -> dict:
    from flask_babel import force_locale

    from matchmaker import permissions
    from matchmaker.extensions import db
    from matchmaker.imports import services
    from matchmaker.imports.reading import read_file

    times: dict[str, list[float]] = {"baseline": [], "read": [], "dry run": [], "write": []}
    counts = None
    _baseline(content)  # warm-up: imports and caches, outside the figures
    read_file(content, "outputs", max_rows=rows + 1)
    for attempt in range(repeat):
        started = time.perf_counter()
        _baseline(content)
        times["baseline"].append(time.perf_counter() - started)
        started = time.perf_counter()
        read_file(content, "outputs", max_rows=rows + 1)
        times["read"].append(time.perf_counter() - started)
        with app.test_request_context(), force_locale("en"):
            started = time.perf_counter()
            plan = services.run_dry(db.session, content, "outputs", permissions.SYSTEM,
                                    locale="en")
            times["dry run"].append(time.perf_counter() - started)
            db.session.rollback()
            outcomes = plan.stored()["counts"]
            started = time.perf_counter()
            plan = services.run_dry(db.session, content, "outputs", permissions.SYSTEM,
                                    locale="en")
            counts = services.apply_import(db.session, plan, permissions.SYSTEM)
            db.session.commit()
            times["write"].append(time.perf_counter() - started)
            db.session.remove()
        print(f"  run {attempt + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items())
              + f"  (plan: {outcomes}; written: {counts})", flush=True)
        _clear(app)
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {"rows": rows, "repeat": repeat, "seconds": times, "median_seconds": medians,
            "rows_per_second": {k: rows / v for k, v in medians.items()},
            "ratio_to_baseline": {k: v / medians["baseline"] for k, v in medians.items()},
            "plan": outcomes, "written": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database to empty and use (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'import-bench.sqlite3'}"
        print(f"building {url.split('@')[-1]} …", flush=True)
        app = build(url)
        app.config["IMPORT_MAX_ROWS"] = max(app.config["IMPORT_MAX_ROWS"], args.rows)
        app.config["IMPORT_MAX_BYTES"] = 512 * 1024 * 1024
        content = make_file(app, args.rows)
        print(f"file: {args.rows} rows, {len(content) / 2**20:.1f} MB", flush=True)
        result = run(app, content, args.rows, args.repeat)
    result.update(database=url.split(":", 1)[0], machine=machine(),
                  at=datetime.now(UTC).isoformat(timespec="seconds"))
    print(f"\n{'phase':<10}{'median s':>10}{'rows/s':>10}{'× baseline':>12}")
    for phase, seconds in result["median_seconds"].items():
        print(f"{phase:<10}{seconds:>10.2f}{result['rows_per_second'][phase]:>10.0f}"
              f"{result['ratio_to_baseline'][phase]:>12.1f}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for name in (f"import-{stamp}.json", "import-latest.json"):
        (RESULTS / name).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
