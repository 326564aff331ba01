"""The dashboard's metrics: a fixed list, each with its unit, its kind and whether the
platform's records can count it. Plain Python: no Flask, no SQLAlchemy.

How each measured actual is computed lives in dashboard/actuals.py (one SQL aggregate per
metric); `basis` says it in words for the page and the README. A metric the platform has no
records for (brokers trained, the region's high-tech enterprises) is listed with its target
only: the dashboard says "not measured by the platform" and never shows a number for it.
"""
from dataclasses import dataclass
from enum import StrEnum


class MetricKind(StrEnum):
    """How a metric accumulates over the year, which decides what "on track" expects."""

    FLOW = "flow"              # counted within the year (contracts signed, deals started)
    CUMULATIVE = "cumulative"  # a running total at the year's end (institutions so far)
    RATE = "rate"              # a share that should sit at its target all year (percent)


class Unit(StrEnum):
    YI_YUAN = "yi_yuan"    # 亿元 (100 million yuan)
    WAN_YUAN = "wan_yuan"  # 万元 (10,000 yuan)
    COUNT = "count"        # 项 / 个 / 家 / 人
    PERCENT = "percent"


@dataclass(frozen=True)
class Metric:
    key: str
    unit: Unit
    kind: MetricKind
    measured: bool
    basis: str  # how the actual is computed (English; the page translates it by key)


METRICS: tuple[Metric, ...] = (
    Metric("contract_turnover", Unit.YI_YUAN, MetricKind.FLOW, True,
           "Sum of the total amounts of the technology contracts recorded on the platform's "
           "deals whose signing date falls in the year, in 亿元."),
    Metric("contracts_signed", Unit.COUNT, MetricKind.FLOW, True,
           "Number of technology contracts on the platform's deals signed in the year."),
    Metric("local_conversion_projects", Unit.COUNT, MetricKind.FLOW, True,
           "Deals that landed in the year (landing date) in the home province: local "
           "conversion (就地转化) as the deal page derives it."),
    Metric("local_conversion_rate", Unit.PERCENT, MetricKind.RATE, True,
           "Local conversion projects of the year as a share of all deals that landed in "
           "the year."),
    Metric("deals_started", Unit.COUNT, MetricKind.FLOW, True,
           "Deals (项目/对接) brokers started in the year."),
    Metric("outputs_published", Unit.COUNT, MetricKind.FLOW, True,
           "Research outputs first published in the year that are still public."),
    Metric("needs_published", Unit.COUNT, MetricKind.FLOW, True,
           "Technology needs first published in the year that are still public."),
    Metric("brokers_trained", Unit.COUNT, MetricKind.FLOW, False,
           "The platform keeps no training records."),
    Metric("tech_transfer_institutions", Unit.COUNT, MetricKind.CUMULATIVE, False,
           "The platform does not register technology-transfer service institutions."),
    Metric("high_tech_enterprises", Unit.COUNT, MetricKind.CUMULATIVE, False,
           "The region's recognised high-tech enterprises are counted by the science "
           "bureau; the platform only knows the tier its own enterprises declared, and "
           "not since when."),
    Metric("tech_smes", Unit.COUNT, MetricKind.CUMULATIVE, False,
           "The region's registered tech SMEs are counted by the science bureau; the "
           "platform only knows its own enterprises' declared tier."),
)
BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
KEYS: tuple[str, ...] = tuple(BY_KEY)


def get_metric(key: str) -> Metric | None:
    """Return the metric named key, or None."""
    return BY_KEY.get(key)
