"""What a research output or technology need must say before it is published.

A published listing is matched against everyone else's, so a title like 「氢」 with the
description 「太短」 would be offered to every broker and enterprise. Publishing therefore asks
for a specific title and a description with enough substance to match on; drafts may stay
short. Plain Python (no Flask, no ORM): the rule is read and tested on its own.

Specific terms are counted with the matcher's own text analysis (segmentation, stop words,
generic words such as 技术 or 系统 left out), so "enough to match on" means the same here as in
the matcher, which refuses to rank a profile with fewer than three such terms.
"""
from dataclasses import dataclass

from matchmaker.matching.engine import content_words
from matchmaker.matching.text import Analyzer

TITLE_MIN_CHARS = 6
TITLE_MIN_TERMS = 2
TEXT_MIN_CHARS = 40
TEXT_MIN_TERMS = 8


@dataclass(frozen=True)
class Shortfall:
    """One thing missing before publishing: field lacks `missing` more units of `measure`."""

    field: str  # the form field: title, abstract or description
    measure: str  # "chars" or "terms"
    required: int
    actual: int

    @property
    def missing(self) -> int:
        return self.required - self.actual


def count_chars(text: str) -> int:
    """Return how many visible characters text has (spaces and line breaks aside)."""
    return sum(1 for c in text or "" if not c.isspace())


def count_terms(text: str) -> int:
    """Return how many distinct specific terms the matcher finds in text (the matcher's own
    count: generic words and one-character words such as 氢 aside)."""
    analyzer = Analyzer.cached((), ())
    return content_words(analyzer.words(text or ""))


def publish_shortfalls(title: str, text: str, *, text_field: str) -> list[Shortfall]:
    """Return what title and text lack before the listing may be published ([] when ready).

    Parameters
    ----------
    title : the listing's title.
    text : its abstract (research output) or description (technology need).
    text_field : the name of that field, reported back in each Shortfall.
    """
    checks = (
        ("title", "chars", TITLE_MIN_CHARS, count_chars(title)),
        ("title", "terms", TITLE_MIN_TERMS, count_terms(title)),
        (text_field, "chars", TEXT_MIN_CHARS, count_chars(text)),
        (text_field, "terms", TEXT_MIN_TERMS, count_terms(text)),
    )
    return [Shortfall(field, measure, required, actual)
            for field, measure, required, actual in checks if actual < required]
