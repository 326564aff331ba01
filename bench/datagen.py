"""Benchmark data: N research outputs and M technology needs of realistic text, for load tests.

    flask bench-data --outputs 100000 --needs 20000 [--force] [--seed 7]

Texts come from the public evaluation data (../shared/eval-data/docs.jsonl, read where it lies,
never copied; the held-out needs are excluded), replicated past its size with the perturbations
of bench/corpora.py. Everything it makes is marked as benchmark data: refs start with "bench-",
organisations are named 基准测试…, and every listing is published. A second run replaces the
previous benchmark records. It refuses to run against a database holding records that are
neither seed nor benchmark data (accounts outside the demo domain, listings created through the
app) unless forced.

Rows are written with bulk INSERTs (the services' per-row validation would take an hour at
this size); search vectors are computed as the flush hook would, and a match rebuild is queued.
"""
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bench import corpora
from matchmaker.auth.models import User
from matchmaker.domain import NeedStatus, OutputStatus, TransferMode
from matchmaker.orgs.models import Enterprise, Institution, Region
from matchmaker.profiles.models import NeedMode, OutputMode, ResearchOutput, TechNeed
from matchmaker.seed import DEMO_DOMAIN
from matchmaker.textsearch import Document

PREFIX = "bench-"
CHUNK = 2000
OUTPUTS_PER_INSTITUTION = 500
NEEDS_PER_ENTERPRISE = 10
EPOCH = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MODES = [m.value for m in TransferMode]


class RealRecordsError(Exception):
    """The database holds records that are not seed or benchmark data."""


def real_records(session: Session) -> dict[str, int]:
    """Count what is neither seed nor benchmark data: listings made in the app (no ref) and
    accounts outside the demo domain."""
    counts = {
        "accounts": session.scalar(select(func.count()).select_from(User).where(
            ~User.email.endswith(f"@{DEMO_DOMAIN}"))),
        "outputs": session.scalar(select(func.count()).select_from(ResearchOutput)
                                  .where(ResearchOutput.ref.is_(None))),
        "needs": session.scalar(select(func.count()).select_from(TechNeed)
                                .where(TechNeed.ref.is_(None))),
    }
    return {name: count for name, count in counts.items() if count}


def _remove_previous(session: Session) -> int:
    removed = 0
    for model in (ResearchOutput, TechNeed):
        removed += session.execute(delete(model).where(model.ref.startswith(PREFIX))).rowcount
    session.execute(delete(Institution).where(Institution.ref.startswith(PREFIX)))
    session.execute(delete(Enterprise).where(Enterprise.ref.startswith(PREFIX)))
    return removed


def _organisations(session: Session, model, count: int, kind: str, regions: list[int]) -> list:
    rows = []
    for i in range(1, count + 1):
        row = {"ref": f"{PREFIX}{kind}-{i:05d}", "region_id": regions[i % len(regions)],
               "aliases": [], "description": "基准测试数据（benchmark data），非真实机构。"}
        if model is Institution:
            row |= {"name": f"基准测试高校院所 {i:05d}", "name_en": f"Benchmark Institution {i:05d}",
                    "type": "university" if i % 3 else "institute"}
        else:
            row |= {"name": f"基准测试企业 {i:05d}", "name_en": f"Benchmark Enterprise {i:05d}",
                    "tier": "tech_sme", "size": "small", "industry": "基准测试"}
        rows.append(row)
    result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                             rows)
    return [r[0] for r in result]


def _title(profile) -> str:
    body = getattr(profile, "abstract", None) or getattr(profile, "description", "")
    return (profile.title or body[:40]).strip()[:200] or "基准测试条目"


def _keywords(profile) -> list[str]:
    return [k.strip()[:40] for k in profile.keywords if k.strip()][:12]


def _published_at(rng: random.Random) -> datetime:
    return EPOCH - timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))


def _write(session: Session, model, mode_model, rows: list[dict],
           modes: list[list[str]]) -> None:
    result = session.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                             rows)
    ids = [r[0] for r in result]
    fk = "output_id" if mode_model is OutputMode else "need_id"
    session.execute(insert(mode_model), [{fk: i, "mode": m} for i, ms in zip(ids, modes)
                                         for m in ms])


def _output_rows(profiles, institutions, names, rng):
    for i, profile in enumerate(profiles):
        org = i % len(institutions)
        low = Decimal(rng.choice((10, 20, 50, 80, 100, 200, 300)))
        title, keywords = _title(profile), _keywords(profile)
        row = {
            "ref": f"{PREFIX}o-{i + 1:06d}", "title": title, "abstract": profile.abstract[:5000],
            "keywords": keywords, "inventors": [], "institution_id": institutions[org],
            "trl": rng.randint(2, 9), "price_min": low, "price_max": low * rng.choice((1, 2, 3)),
            "reform_status": "none", "status": OutputStatus.PUBLISHED, "lang": "zh",
            "published_at": _published_at(rng), "created_at": EPOCH, "updated_at": EPOCH,
            "version": 1,
        }
        modes = rng.sample(MODES, rng.randint(1, 3))
        row["search_vector"] = Document.of(title, profile.abstract, keywords, *names[org],
                                           modes=modes)
        yield row, modes


def _need_rows(profiles, enterprises, names, rng):
    for i, profile in enumerate(profiles):
        org = i % len(enterprises)
        low = Decimal(rng.choice((10, 30, 50, 100, 200)))
        title, keywords = _title(profile), _keywords(profile)
        row = {
            "ref": f"{PREFIX}n-{i + 1:06d}", "title": title,
            "description": profile.description[:5000], "keywords": keywords,
            "enterprise_id": enterprises[org], "min_trl": rng.choice((None, 4, 5, 6, 7)),
            "budget_min": low, "budget_max": low * rng.choice((2, 3, 5)), "is_challenge": False,
            "status": NeedStatus.PUBLISHED, "lang": "zh", "published_at": _published_at(rng),
            "created_at": EPOCH, "updated_at": EPOCH, "version": 1,
        }
        modes = rng.sample(MODES, rng.randint(1, 3))
        row["search_vector"] = Document.of(title, profile.description, keywords, *names[org],
                                           modes=modes)
        yield row, modes


def _need_profiles(n: int) -> list:
    """n needs: bench/corpora.py's needs, then further perturbed replicas of the real technology
    needs (rounds past corpora.NEED_REPLICAS) when its pool runs out (about 12,000)."""
    profiles = list(corpora.needs(n).profiles) if n else []
    real = sorted((d for d in corpora.load_docs() if d["kind"] == "tech_need"),
                  key=lambda d: d["id"])
    k = corpora.NEED_REPLICAS
    while len(profiles) < n:
        k += 1
        profiles.extend(corpora.as_need(corpora.perturb(d, k))
                        for d in real[:n - len(profiles)])
    return profiles


def generate(session: Session, outputs: int, needs: int, *, force: bool = False,
             seed: int = 7, log=print) -> dict:
    """Replace the benchmark records with outputs + needs new ones; flush, never commit."""
    found = real_records(session)
    if found and not force:
        raise RealRecordsError(found)
    regions = list(session.scalars(select(Region.id).order_by(Region.id)))
    if not regions:
        raise RuntimeError("no regions: run `flask seed` first")
    started = time.perf_counter()
    removed = _remove_previous(session)
    rng = random.Random(seed)
    institutions = _organisations(session, Institution,
                                  max(1, -(-outputs // OUTPUTS_PER_INSTITUTION)), "i", regions)
    enterprises = _organisations(session, Enterprise,
                                 max(1, -(-needs // NEEDS_PER_ENTERPRISE)), "e", regions)
    i_names = [(f"基准测试高校院所 {i:05d}", f"Benchmark Institution {i:05d}")
               for i in range(1, len(institutions) + 1)]
    e_names = [(f"基准测试企业 {i:05d}", f"Benchmark Enterprise {i:05d}")
               for i in range(1, len(enterprises) + 1)]
    log(f"building texts: {outputs} outputs, {needs} needs (from {corpora.DOCS})")
    output_profiles = corpora.outputs(outputs).profiles if outputs else []
    need_profiles = _need_profiles(needs)
    for label, model, mode_model, rows in (
            ("outputs", ResearchOutput, OutputMode,
             _output_rows(output_profiles, institutions, i_names, rng)),
            ("needs", TechNeed, NeedMode, _need_rows(need_profiles, enterprises, e_names, rng))):
        batch, written = [], 0
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                _write(session, model, mode_model, [r for r, _ in batch],
                       [m for _, m in batch])
                written += len(batch)
                batch = []
                log(f"  {label}: {written}")
        if batch:
            _write(session, model, mode_model, [r for r, _ in batch], [m for _, m in batch])
    session.flush()
    return {"outputs": outputs, "needs": needs, "institutions": len(institutions),
            "enterprises": len(enterprises), "replaced": removed,
            "seconds": round(time.perf_counter() - started, 1)}


def is_benchmark(ref: str | None) -> bool:
    """Return whether a record's ref marks it as benchmark data."""
    return bool(ref) and ref.startswith(PREFIX)


