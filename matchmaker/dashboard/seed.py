"""Load seed_data/targets.json through the targets' service (the one write path).

Each block gives a year (or "current": the business year of the load day, so the demo never
goes stale), a note and the targets by metric key, in the metric's unit. A target already set
is left alone: an operator's edit outlives a second `flask seed`. Format: seed_data/README.md.
"""
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from matchmaker import permissions
from matchmaker.dashboard import services
from matchmaker.pipeline import clock


def load_targets(session: Session, seed_dir: Path, *, year: int | None = None) -> Counter:
    """Load the targets file (if any); return how many targets were created and kept."""
    counts: Counter[str] = Counter()
    path = Path(seed_dir) / "targets.json"
    if not path.is_file():
        return counts
    for block in json.loads(path.read_text(encoding="utf-8")):
        block_year = (year or clock.today().year) if block["year"] == "current" \
            else int(block["year"])
        for metric, value in block["targets"].items():
            if services.find_target(session, block_year, metric) is not None:
                counts["kept"] += 1
                continue
            services.set_target(session, services.TargetData(
                block_year, metric, Decimal(str(value)), block.get("note", "")),
                actor=permissions.SYSTEM, version=None)
            counts["created"] += 1
    return counts
