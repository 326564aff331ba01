"""The matcher's inputs: plain frozen dataclasses, never ORM rows."""
from collections.abc import Hashable
from dataclasses import dataclass, field

# Statuses whose profiles are never offered as candidates (drafts are private; the others are
# no longer available). A profile in any status may still be the query.
EXCLUDED_OUTPUT_STATUSES = frozenset({"draft", "withdrawn", "transferred"})
EXCLUDED_NEED_STATUSES = frozenset({"draft", "closed", "solved"})


@dataclass(frozen=True)
class OutputProfile:
    """A research output (科技成果) as the matcher sees it. Money is in 万元."""

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
    status: str = "published"

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.abstract}"


@dataclass(frozen=True)
class NeedProfile:
    """A technology need (技术需求) as the matcher sees it. Money is in 万元."""

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
    status: str = "published"

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
