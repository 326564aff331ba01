"""The duplicate threshold against the seed's titles (the figures README.md quotes)."""
import itertools
import json
from pathlib import Path

import pytest

from config import Config
from matchmaker.imports.dedupe import Candidate, TitleIndex

SEED = Path(__file__).resolve().parents[2] / "seed_data"
THRESHOLD = Config.IMPORT_DUPLICATE_MIN_SCORE


def _records(side: str, org_key: str) -> list[tuple[str, str]]:
    rows = []
    for path in sorted((SEED / side).glob("*.json")):
        rows += [(r[org_key], r["title"]) for r in json.loads(path.read_text("utf-8"))]
    return rows


SIDES = [("outputs", "institution"), ("needs", "enterprise")]


@pytest.mark.parametrize(("side", "org_key"), SIDES)
def test_no_two_different_seed_listings_of_one_organisation_look_like_duplicates(side, org_key):
    records = _records(side, org_key)
    index = TitleIndex(THRESHOLD)
    for number, (org, title) in enumerate(records):
        index.add(org, Candidate(number, title))
    flagged = [(records[n][1], found.title) for n, (org, title) in enumerate(records)
               if (found := index.best(org, title, exclude=n)) is not None]
    assert flagged == []


@pytest.mark.parametrize(("side", "org_key"), SIDES)
def test_typos_dropped_characters_and_spaces_in_seed_titles_are_caught(side, org_key):
    records = _records(side, org_key)
    index = TitleIndex(THRESHOLD)
    for number, (org, title) in enumerate(records):
        index.add(org, Candidate(number, title))
    for number, (org, title) in enumerate(records):
        for variant in (title[:-2] + "某" + title[-1:],  # one wrong character
                        title[2:],  # two characters left out
                        " ".join(title[:6]) + title[6:],  # spaces
                        title.upper()):
            found = index.best(org, variant)
            assert found is not None and found.key == number, (title, variant)


def test_the_closest_pairs_score_well_below_the_threshold():
    """Different listings of one organisation score at most 66.7 (needs) and 57.1 (outputs);
    the threshold keeps a margin of more than 10 points above them."""
    from rapidfuzz import fuzz

    from matchmaker.textclean import fold_name

    best = 0.0
    for side, org_key in SIDES:
        for (org_a, a), (org_b, b) in itertools.combinations(_records(side, org_key), 2):
            if org_a == org_b:
                best = max(best, fuzz.ratio(fold_name(a), fold_name(b)))
    assert best + 10 < THRESHOLD
