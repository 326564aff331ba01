"""How much to fuzz and how: FUZZ_EXAMPLES and FUZZ_SEED from the environment.

By default hypothesis is derandomised and keeps no example database, so CI runs the same
examples every time. FUZZ_EXAMPLES=300 runs more; FUZZ_SEED=7 draws other examples (still
reproducible: run again with the same seed).
"""
import os

from hypothesis import HealthCheck, seed, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SEED = os.environ.get("FUZZ_SEED")


def fuzz_settings(max_examples: int) -> settings:
    """Return the settings of a fuzz test: deterministic, no deadline (pages vary)."""
    return settings(max_examples=max_examples, derandomize=SEED is None, database=None,
                    deadline=None, suppress_health_check=list(HealthCheck))


def seeded(test):
    """Apply FUZZ_SEED to a hypothesis test, if set."""
    return seed(int(SEED))(test) if SEED is not None else test
