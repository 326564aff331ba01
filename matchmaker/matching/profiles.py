"""The matcher's inputs: plain frozen dataclasses, never ORM rows."""
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import ClassVar

from matchmaker.domain import (
    MATCHABLE_NEED_STATUSES,
    MATCHABLE_OUTPUT_STATUSES,
    NeedStatus,
    OutputStatus,
    Side,
)

# Statuses whose profiles are never offered as candidates: every status of domain's that is not
# matchable (drafts are private; the others are no longer available). A status the domain does
# not know (a batch CLI record's) is not excluded. A profile in any status may be the query.
EXCLUDED_OUTPUT_STATUSES = frozenset(OutputStatus) - frozenset(MATCHABLE_OUTPUT_STATUSES)
EXCLUDED_NEED_STATUSES = frozenset(NeedStatus) - frozenset(MATCHABLE_NEED_STATUSES)


@dataclass(frozen=True)
class OutputProfile:
    """A research output (科技成果) as the matcher sees it. Money is in 万元."""

    side: ClassVar[Side] = Side.OUTPUT

    id: Hashable
    title: str
    abstract: str
    keywords: tuple[str, ...] = ()
    ipc: tuple[str, ...] = ()
    chain: str | None = None
    segment: str | None = None
    trl: int | None = None
    modes: tuple[str, ...] = ()
    price_min: float | None = None
    price_max: float | None = None
    region: str | None = None
    institution: str | None = None
    status: str = OutputStatus.PUBLISHED

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}"


@dataclass(frozen=True)
class NeedProfile:
    """A technology need (技术需求) as the matcher sees it. Money is in 万元."""

    side: ClassVar[Side] = Side.NEED

    id: Hashable
    title: str
    description: str
    keywords: tuple[str, ...] = ()
    chain: str | None = None
    segment: str | None = None
    min_trl: int | None = None
    modes: tuple[str, ...] = ()
    budget_min: float | None = None
    budget_max: float | None = None
    region: str | None = None
    status: str = NeedStatus.PUBLISHED

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}"


@dataclass(frozen=True)
class SegmentSpec:
    key: str
    name_zh: str
    name_en: str
    position: int
    keywords_zh: tuple[str, ...] = ()
    keywords_en: tuple[str, ...] = ()
    ipc_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChainSpec:
    key: str
    name_zh: str
    name_en: str
    segments: tuple[SegmentSpec, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = field(default=())
    # Umbrella terms of the whole chain (燃料电池, 光伏, fuel cell): evidence for the chain
    # that points at no segment in particular.
    core_terms: tuple[str, ...] = ()
