"""The operator's dashboard in a real browser, at 1280 and 390 px: every chart draws a
non-empty canvas, draws the numbers of its table, and the table's numbers are those counted
here the plain way (Python loops over the seeded database's rows), not by the dashboard's
SQL. On a seeded database of its own, with the stored matches computed."""
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import pairwise
from statistics import median

import pytest
from sqlalchemy import select

from matchmaker.dashboard import gaps
from matchmaker.domain import MATCHABLE_NEED_STATUSES, MATCHABLE_OUTPUT_STATUSES, Phase
from matchmaker.extensions import db
from matchmaker.pipeline import clock, rules
from matchmaker.pipeline.models import Contract, Deal, DealHistory, DealStage
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import MatchSet, StoredMatch
from matchmaker.recommendations.services import match_quality
from tests.browser.conftest import own_seeded_app, serving, sign_in

pytestmark = pytest.mark.browser
CHARTS = ("funnel", "chains", "monthly", "stage_days", "heatmap")

# How many pixels of a canvas are not transparent (a drawn chart has thousands).
PAINTED_JS = """(sel) => {
  const canvas = document.querySelector(sel);
  if (!canvas) return -1;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) painted++; }
  return painted;
}"""
TABLE_JS = """(sel) => Array.from(document.querySelectorAll(sel + ' tbody tr')).map(
  (tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.getAttribute('data-value')))"""


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    with own_seeded_app(tmp_path_factory, "dashboard_ui", matches=True) as app:
        yield app


@pytest.fixture(scope="module")
def server(own_app):
    with serving(own_app) as base:
        yield base


def _year_of(moment) -> int:
    return clock.business_date(moment).year


def expected_figures(app, year: int) -> dict:
    """Count what each table should show, row by row, the slow obvious way."""
    with app.app_context():
        s = db.session
        deals = s.scalars(select(Deal)).unique().all()
        stages = s.scalars(select(DealStage).order_by(DealStage.position)).all()
        by_stage = Counter(d.stage_id for d in deals)
        funnel = {st.name_zh: by_stage[st.id] for st in stages
                  if st.phase != Phase.LOST and (st.is_active or by_stage[st.id])}
        chains: dict = defaultdict(lambda: [0, 0, Decimal(0)])
        months: dict = defaultdict(lambda: [0, 0, Decimal(0)])
        for d in deals:
            if _year_of(d.created_at) == year:
                chains[d.chain.name_zh if d.chain else None][0] += 1
                months[clock.business_date(d.created_at).month][0] += 1
        for c in s.scalars(select(Contract)).all():
            if c.signed_on and c.signed_on.year == year and c.signed_on <= clock.today():
                chain = c.deal.chain.name_zh if c.deal.chain else None
                chains[chain][1] += 1
                chains[chain][2] += c.total_amount or 0
                months[c.signed_on.month][1] += 1
                months[c.signed_on.month][2] += c.total_amount or 0
        paths = defaultdict(list)
        for h in s.scalars(select(DealHistory).where(DealHistory.field == "stage",
                                                     DealHistory.kind.in_(["created", "stage"]))
                           .order_by(DealHistory.deal_id, DealHistory.at, DealHistory.id)):
            paths[h.deal_id].append((h.new_value, h.at))
        spans = defaultdict(list)
        for path in paths.values():
            for (key, start), (_next, end) in pairwise(path):
                if _year_of(end) == year:
                    spans[key].append(rules.stage_durations([(key, start), (_next, end)])[0][1])
        stage_days = {st.name_zh: (round(median(spans[st.key]), 1) if spans[st.key] else None)
                      for st in stages if st.phase != Phase.LOST and st.is_active}
        generation = gaps.current_generation_id(s)
        best: dict = {}
        for m_set in s.scalars(select(MatchSet).where(MatchSet.generation_id == generation,
                                                      MatchSet.side == "need")):
            if m_set.notice is None:
                scores = [m.score for m in s.scalars(select(StoredMatch).where(
                    StoredMatch.set_id == m_set.id))]
                # the match quality of the need's best candidate (None: it has none)
                best[m_set.profile_id] = (match_quality(max(scores), max(scores), 1)
                                          if scores else None)
        heat: dict = defaultdict(lambda: [0, 0, 0])
        for o in s.scalars(select(ResearchOutput)).all():
            if o.status in MATCHABLE_OUTPUT_STATUSES and o.chain:
                heat[(o.chain.name_zh, o.segment.name_zh if o.segment else "未分环节")][0] += 1
        for n in s.scalars(select(TechNeed)).all():
            if n.status in MATCHABLE_NEED_STATUSES and n.chain:
                key = (n.chain.name_zh, n.segment.name_zh if n.segment else "未分环节")
                heat[key][1] += 1
                if n.id in best and (best[n.id] is None or best[n.id] < gaps.gap_quality()):
                    heat[key][2] += 1
        db.session.remove()
    return {"funnel": funnel, "chains": chains, "months": months, "stage_days": stage_days,
            "heat": heat}


def _num(value: str | None):
    return None if value in (None, "") else Decimal(value)


@pytest.mark.parametrize("width", [1280, 390])
def test_every_chart_draws_its_table_and_the_tables_hold_the_records(server, own_app, page,
                                                                      width):
    year = clock.today().year
    sign_in(page, server, "admin")
    page.set_viewport_size({"width": width, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{server}/dashboard/?year={year}")
    for key in CHARTS:
        chart = f'[data-chart="chart-data-{key}"]'
        page.wait_for_selector(f'{chart}[data-drawn="true"] canvas')
        assert page.evaluate(PAINTED_JS, f"{chart} canvas") > 500, key
    assert not errors, errors  # no CSP refusal, no script error
    assert page.evaluate("() => document.documentElement.scrollWidth"
                         " <= document.documentElement.clientWidth")

    want = expected_figures(own_app, year)
    tables = {key: page.evaluate(TABLE_JS, f'[data-testid="table-{key}"]') for key in CHARTS}
    data = {key: page.evaluate(f"() => JSON.parse(document.getElementById('chart-data-{key}')"
                               ".textContent)") for key in CHARTS}

    assert {r[0]: int(r[1]) for r in tables["funnel"]} == want["funnel"]
    assert data["funnel"]["series"][0]["values"] == [int(r[1]) for r in tables["funnel"]]

    chains = {r[0]: [int(r[1]), int(r[2]), _num(r[3])] for r in tables["chains"]}
    for name, (started, signed, value) in want["chains"].items():
        assert chains[name if name else "未分产业链"] == [started, signed, value], name
    assert sum(r[0] for r in chains.values()) == sum(v[0] for v in want["chains"].values())
    assert data["chains"]["series"][2]["values"] == [float(r[3]) for r in tables["chains"]]

    assert len(tables["monthly"]) == 12
    for month, row in enumerate(tables["monthly"], start=1):
        assert [int(row[1]), int(row[2]), _num(row[3])] == [
            want["months"][month][0], want["months"][month][1], want["months"][month][2]]
    assert data["monthly"]["series"][0]["values"] == [int(r[1]) for r in tables["monthly"]]

    assert {r[0]: (float(r[1]) if r[1] else None) for r in tables["stage_days"]} == \
        want["stage_days"]

    heat = {(r[0], r[1]): [int(r[2]), int(r[3]), int(r[4])] for r in tables["heatmap"]}
    assert {k: v for k, v in heat.items() if any(v)} == {k: v for k, v in want["heat"].items()
                                                         if any(v)}
    cells = data["heatmap"]["cells"]
    assert sorted(c[2:5] for c in cells) == sorted([v[2], v[0], v[1]] for v in heat.values())


def _pdf_pages(pdf: bytes) -> int:
    """Count the pages of a PDF Chromium printed: its page objects (not the /Pages nodes)."""
    import re
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_monthly_report_prints_on_one_a4_page(server, page, locale):
    """README promises one A4 page when printed: Chromium's own print to PDF, with the print
    stylesheet, charts drawn, in either language (English labels are longer)."""
    sign_in(page, server, "admin")
    if locale == "en":
        page.click("form[action*='/auth/locale/en'] button")
        page.wait_for_selector("html[lang=en]")
    today = clock.today()
    page.goto(f"{server}/dashboard/report/{today.year}-{today.month:02d}")
    for chart in page.query_selector_all("[data-chart]"):
        key = chart.get_attribute("data-chart")
        page.wait_for_selector(f'[data-chart="{key}"][data-drawn="true"] canvas')
    assert page.locator("h1").first.inner_text()
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-")
    assert _pdf_pages(pdf) == 1
    page.goto(f"{server}/dashboard/?year={today.year}")  # the count sees more pages when there are
    assert _pdf_pages(page.pdf(format="A4")) > 1
