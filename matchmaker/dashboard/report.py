"""The monthly report for the operators' superiors: the month's headline figures, the year's
targets as they stood at the month's end, and the charts (their tables also make the xlsx)."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from matchmaker.dashboard import actuals, charts, gaps, kpi, services
from matchmaker.dashboard import tables as build
from matchmaker.templating import localized

HEADLINE_METRICS = ("deals_started", "contracts_signed", "contract_turnover",
                    "local_conversion_projects", "outputs_published", "needs_published")


@dataclass
class MonthlyReport:
    year: int
    month: int
    headline: list[tuple[str, Decimal | None]]  # (metric key, the month's figure)
    progress: list[kpi.Progress]  # the year's targets at the month's end
    share: Decimal
    tables: list[build.ChartTable]  # targets first, then the charts

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def key(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def prev(self) -> str:
        return f"{self.year - 1}-12" if self.month == 1 else f"{self.year}-{self.month - 1:02d}"

    @property
    def next(self) -> str:
        return f"{self.year + 1}-01" if self.month == 12 else f"{self.year}-{self.month + 1:02d}"


def _month_end(year: int, month: int):
    """Return the moment the month ends (UTC): the end of its last business day."""
    return kpi.share_at_end_of(charts.last_day(year, month))


def build_report(session: Session, year: int, month: int) -> MonthlyReport:
    """Return the report of the month: figures up to its end (the funnel and the heat map
    are as they are now: the platform keeps no snapshot of them)."""
    end = actuals.Period(year, _month_end(year, month))
    start = actuals.Period(year, _month_end(year, month - 1) if month > 1
                           else kpi.year_start(year))
    until_end = actuals.compute_actuals(session, end)
    until_start = actuals.compute_actuals(session, start)
    headline = [(key, until_end[key] - until_start[key]) for key in HEADLINE_METRICS]
    targets = services.list_targets(session, year)
    progress = actuals.progress_rows(session, end, targets)
    funnel, lost = charts.funnel(session)
    quality = gaps.gap_quality()
    tables = [build.kpi_table(progress, year),
              build.monthly_table(charts.monthly(session, end), year),
              build.chain_table(charts.per_chain(session, end), year),
              build.funnel_table(funnel, lost),
              build.stage_days_table(charts.median_days(session, end), year),
              build.heatmap_table(charts.heatmap(session, quality=quality), quality)]
    return MonthlyReport(year, month, headline, progress, kpi.year_share(year, end.until),
                         tables)


def gap_tables(session: Session, chain) -> list[build.ChartTable]:
    """Return the gaps as two tables (the needs without supply, the outputs nobody wants)."""
    found = gaps.find_gaps(session, chain_id=chain.id if chain else None, limit=5000)
    needs = build.ChartTable("gaps_needs", _("Needs without a matching output"), [
        build.Column(_("Need")), build.Column(_("Enterprise")), build.Column(_("Chain")),
        build.Column(_("Segment")), build.Column(_("Best match quality"), "ratio")],
        [[n.title, n.enterprise.name, localized(n.chain), localized(n.segment), best]
         for n, best in found.needs])
    outputs = build.ChartTable("gaps_outputs", _("Outputs no need wants"), [
        build.Column(_("Output")), build.Column(_("Institution")), build.Column(_("Chain")),
        build.Column(_("Segment"))],
        [[o.title, o.institution.name, localized(o.chain), localized(o.segment)]
         for o in found.outputs])
    return [needs, outputs]
