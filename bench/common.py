"""What a benchmark result was measured on: the machine and the exact engine source."""
import hashlib
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "matchmaker" / "matching"


def machine() -> dict:
    import psutil

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("numpy", "scipy", "scikit-learn", "jieba", "rjieba", "bm25s"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "?"
    return {"cpu": cpu, "cores": os.cpu_count(),
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "libraries": versions, "load_average": [round(x, 2) for x in os.getloadavg()]}


def engine_state(engine: Path = ENGINE) -> dict:
    """The commit, whether the engine's package (matchmaker/matching unless told) has
    uncommitted changes, and a hash of its source files (the engine is still being tuned:
    results name the code they measured)."""
    digest = hashlib.sha256()
    for path in sorted(engine.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())

    def git(*args) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "engine_dirty": bool(git("status", "--porcelain", "--", str(engine))),
            "engine_sha256": digest.hexdigest()[:16]}


def percentile(values, q: float) -> float:
    """Return the q-quantile of values by linear interpolation (nan for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def jieba_tokens(text: str) -> list[str]:
    """Plain jieba tokens (precise mode), lowercased, whitespace and punctuation dropped: what
    the plain baselines (word TF-IDF, BM25) of the quality and speed benchmarks read."""
    import jieba

    jieba.setLogLevel(60)
    return [t for t in jieba.lcut(text.lower()) if t.strip() and any(c.isalnum() for c in t)]
