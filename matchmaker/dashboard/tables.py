"""Each chart as a table (what the page shows below the chart and what the exports hold) and
as the JSON the page's script draws (static/js/dashboard.js). Headers and names are in the
reader's language; numbers stay numbers (money in 万元) until a cell is shown."""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from matchmaker.dashboard import charts, labels
from matchmaker.dashboard.kpi import Progress, Status
from matchmaker.money import format_amount
from matchmaker.templating import current_language, localized


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"  # text, count, money (万元), days, percent, ratio, score


@dataclass
class ChartTable:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    chart: dict = field(default_factory=dict)
    note: str = ""

    def cells(self, row: list) -> list[str]:
        """Return the row as people read it (money in 万元 / 亿元, percentages)."""
        return [show(value, column.kind) for value, column in zip(row, self.columns,
                                                                  strict=True)]


def show(value, kind: str) -> str:
    """Return one value as text for a table cell."""
    if value is None:
        return "—"
    if kind == "money":
        return format_amount(Decimal(value), locale=current_language()) or "0"
    if kind in ("percent", "ratio"):
        number = Decimal(value) * (100 if kind == "ratio" else 1)
        return f"{format_decimal(number, format='#,##0.#')}%"
    if kind in ("days", "score"):
        return format_decimal(value, format="#,##0.0#")
    if kind == "count":
        return format_decimal(value, format="#,##0.####")
    return str(value)


def _series(name: str, values: list, *, kind: str = "bar", axis: int = 0,
            unit: str = "count") -> dict:
    return {"name": name, "values": [float(v) if v is not None else None for v in values],
            "type": kind, "axis": axis, "unit": unit}


def _chart(categories: list[str], series: list[dict], **options) -> dict:
    return {"kind": "axes", "locale": current_language(), "categories": categories,
            "series": series, **options}


def kpi_table(rows: list[Progress], year: int) -> ChartTable:
    """Return the targets table: target, actual (in the unit column's unit), progress,
    expected progress and status per metric."""
    table = ChartTable("kpi", _("Targets %(year)d", year=year), [
        Column(_("Metric")), Column(_("Unit")), Column(_("Target"), "count"),
        Column(_("Actual"), "count"), Column(_("Progress"), "ratio"),
        Column(_("Expected by now"), "ratio"), Column(_("Status"))], [])
    for row in rows:
        metric = row.metric
        table.rows.append([str(labels.METRIC[metric.key]), str(labels.UNIT[metric.unit]),
                           row.target, row.actual, row.progress,
                           row.expected if row.status != Status.NOT_MEASURED else None,
                           str(labels.STATUS[row.status])])
    return table


def funnel_table(rows: list[charts.StageCount], lost: int) -> ChartTable:
    names = [localized(r.stage) for r in rows]
    return ChartTable(
        "funnel", _("Deals by current stage"),
        [Column(_("Stage")), Column(_("Deals"), "count")],
        [[name, r.deals] for name, r in zip(names, rows, strict=True)],
        _chart(names, [_series(_("Deals"), [r.deals for r in rows])], horizontal=True),
        note=_("All deals now, in stage order; %(num)d lost deals are not in the funnel.",
               num=lost))


def chain_table(rows: list[charts.ChainFigures], year: int) -> ChartTable:
    names = [localized(r.chain) if r.chain is not None else _("No chain") for r in rows]
    return ChartTable(
        "chains", _("Deals and contract value per chain, %(year)d", year=year),
        [Column(_("Chain")), Column(_("Deals started"), "count"),
         Column(_("Contracts signed"), "count"), Column(_("Contract value (10,000 yuan)"),
                                                        "money")],
        [[n, r.deals_started, r.contracts, r.value] for n, r in zip(names, rows, strict=True)],
        _chart(names, [_series(_("Deals started"), [r.deals_started for r in rows]),
                       _series(_("Contracts signed"), [r.contracts for r in rows]),
                       _series(_("Contract value"), [r.value for r in rows], kind="line",
                               axis=1, unit="money")]))


def monthly_table(rows: list[charts.MonthFigures], year: int) -> ChartTable:
    months = [format_date(date(year, r.month, 1), "MMM") for r in rows]
    return ChartTable(
        "monthly", _("Monthly trend, %(year)d", year=year),
        [Column(_("Month")), Column(_("Deals started"), "count"),
         Column(_("Contracts signed"), "count"),
         Column(_("Contract value (10,000 yuan)"), "money")],
        [[m, r.deals_started, r.contracts, r.value] for m, r in zip(months, rows, strict=True)],
        _chart(months, [_series(_("Deals started"), [r.deals_started for r in rows]),
                        _series(_("Contracts signed"), [r.contracts for r in rows]),
                        _series(_("Contract value"), [r.value for r in rows], kind="line",
                                axis=1, unit="money")]))


def stage_days_table(rows: list[charts.StageDays], year: int) -> ChartTable:
    names = [localized(r.stage) for r in rows]
    return ChartTable(
        "stage_days", _("Median days per stage, %(year)d", year=year),
        [Column(_("Stage")), Column(_("Median days"), "days"),
         Column(_("Stage periods ended"), "count")],
        [[n, r.median_days, r.periods] for n, r in zip(names, rows, strict=True)],
        _chart(names, [_series(_("Median days"), [r.median_days for r in rows],
                               unit="days")]),
        note=_("From the deal history: how long deals stayed in a stage before moving on, "
               "for the moves made in the year."))


def heatmap_table(cells: list[charts.HeatCell], quality: float) -> ChartTable:
    chains = list(dict.fromkeys(c.chain.id for c in cells))
    chain_names = {c.chain.id: localized(c.chain) for c in cells}
    positions: dict[int, list] = {}
    for cell in cells:
        positions.setdefault(cell.chain.id, []).append(cell)
    width = max((len(v) for v in positions.values()), default=0)
    columns = [_("Segment %(n)d", n=i + 1) for i in range(width)]
    data = []
    for y, chain_id in enumerate(chains):
        for x, cell in enumerate(positions[chain_id]):
            name = localized(cell.segment) if cell.segment else _("No segment")
            data.append([x, y, cell.unmatched, cell.outputs, cell.needs, name])
    names = {"outputs": _("Outputs"), "needs": _("Needs"), "unmatched": _("Unmet")}
    return ChartTable(
        "heatmap", _("Supply and demand by chain and segment"),
        [Column(_("Chain")), Column(_("Segment")), Column(_("Published outputs"), "count"),
         Column(_("Open needs"), "count"),
         Column(_("Needs without a matching output"), "count")],
        [[chain_names[c.chain.id], localized(c.segment) if c.segment else _("No segment"),
          c.outputs, c.needs, c.unmatched] for c in cells],
        {"kind": "heatmap", "locale": current_language(), "x": columns,
         "y": [chain_names[c] for c in chains], "cells": data, "names": names},
        note=_("Colour: open needs whose best stored match is not a good match (match quality "
               "below %(pct)d%%: no matching supply). Segments run upstream (1) to "
               "downstream.", pct=round(quality * 100)))
