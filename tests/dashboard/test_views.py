"""The dashboard's pages: who sees what, the targets editor (field errors in Chinese, a
concurrent edit refused), the exports read back, the gaps and the monthly report."""
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from matchmaker.dashboard import services
from matchmaker.dashboard.services import TargetData
from matchmaker.domain import Role
from tests.conftest import submit

PAGES = ["/dashboard/", "/dashboard/gaps", "/dashboard/report/2026-11",
         "/dashboard/report/2026-11.xlsx", "/dashboard/targets",
         "/dashboard/targets/2031/deals_started", "/dashboard/export/funnel.csv",
         "/dashboard/export/gaps_needs.xlsx"]
BROKER_SEES = {"/dashboard/", "/dashboard/gaps", "/dashboard/export/funnel.csv",
               "/dashboard/export/gaps_needs.xlsx"}


@pytest.fixture
def operator(make_user, sign_in):
    return sign_in(make_user(Role.ADMIN))


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.location, url


@pytest.mark.parametrize("role", [Role.INSTITUTION, Role.ENTERPRISE])
def test_institutions_and_enterprises_are_refused(make_user, sign_in, role):
    viewer = sign_in(make_user(role))
    for url in PAGES:
        assert viewer.get(url).status_code == 403, url


def test_brokers_read_the_dashboard_and_gaps_only(make_user, sign_in):
    broker = sign_in(make_user(Role.BROKER))
    for url in PAGES:
        assert broker.get(url).status_code == (200 if url in BROKER_SEES else 403), url
    page = broker.get("/dashboard/").get_data(as_text=True)
    assert 'data-testid="targets-link"' not in page and 'data-testid="report-link"' not in page


def test_operators_see_every_page(operator):
    for url in PAGES:
        assert operator.get(url).status_code == 200, url


def test_the_dashboard_shows_every_chart_with_its_table(operator):
    page = operator.get("/dashboard/?year=2026").get_data(as_text=True)
    for key in ("funnel", "chains", "monthly", "stage_days", "heatmap"):
        assert f'data-chart="chart-data-{key}"' in page
        assert f'<script type="application/json" id="chart-data-{key}">' in page
        assert f'data-testid="table-{key}"' in page
    assert "数据看板" in page and "未被平台统计" in page or "平台不统计" in page


@pytest.mark.parametrize("year", ["abc", "1999", "99999999999999999999"])
def test_a_bad_year_falls_back_to_this_year(operator, year):
    assert operator.get(f"/dashboard/?year={year}").status_code == 200


def test_unknown_exports_and_months_are_not_found(operator):
    assert operator.get("/dashboard/export/nothing.csv").status_code == 404
    assert operator.get("/dashboard/export/funnel.pdf").status_code == 404
    assert operator.get("/dashboard/report/2026-13").status_code == 404
    assert operator.get("/dashboard/report/soon").status_code == 404


def test_exports_read_back_as_the_table(operator, db_session):
    from matchmaker.dashboard import charts
    funnel, _lost = charts.funnel(db_session)
    body = operator.get("/dashboard/export/funnel.csv").get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["阶段", "项目"]
    assert [(r[0], int(r[1])) for r in rows[1:]] == [(s.stage.name_zh, s.deals) for s in funnel]
    book = load_workbook(io.BytesIO(operator.get("/dashboard/export/funnel.xlsx").get_data()))
    sheet = book.active
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        [s.stage.name_zh, s.deals] for s in funnel]


def test_the_monthly_report_workbook_has_a_sheet_per_table(operator):
    book = load_workbook(io.BytesIO(operator.get("/dashboard/report/2026-11.xlsx").get_data()))
    assert book.sheetnames == ["kpi", "monthly", "chains", "funnel", "stage_days", "heatmap"]
    months = [row[0].value for row in book["monthly"].iter_rows(min_row=2)]
    assert len(months) == 12


def test_the_report_has_a_print_stylesheet(operator, app):
    page = operator.get("/dashboard/report/2026-11").get_data(as_text=True)
    assert "css/dashboard.css" in page and "2026年11月" in page
    css = Path(app.static_folder) / "css" / "dashboard.css"
    assert "@media print" in css.read_text(encoding="utf-8")


# --- the targets editor ------------------------------------------------------------------------

EDIT = "/dashboard/targets/2031/deals_started"


def test_an_operator_sets_a_target_in_the_editor(operator, db_session):
    response = submit(operator, EDIT, {"target": "１,２００", "note": "全年"})
    assert response.status_code == 302
    saved = services.find_target(db_session, 2031, "deals_started")
    assert saved.target == 1200 and saved.note == "全年"


@pytest.mark.parametrize(("value", "message"), [
    ("", "请填写目标值。"), ("abc", "请输入数字，例如 1500 或 1.2。"),
    ("1.234", "最多两位小数。"), ("-5", "目标值不能为负数。"),
])
def test_bad_input_gets_field_errors_in_chinese(operator, db_session, value, message):
    response = submit(operator, EDIT, {"target": value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-field="target">{message}' in page
    assert services.find_target(db_session, 2031, "deals_started") is None


def test_a_rate_above_100_is_refused_on_its_field(operator, db_session):
    page = submit(operator, "/dashboard/targets/2031/local_conversion_rate",
                  {"target": "120"}).get_data(as_text=True)
    assert 'data-field="target">比率是 0 到 100 之间的百分数。' in page


def test_a_concurrent_edit_is_refused_with_a_clear_message(operator, db_session, make_user):
    first = operator.get(EDIT)  # no target yet: the form carries no version
    assert first.status_code == 200
    services.set_target(db_session, TargetData(2031, "deals_started", Decimal(80)),
                        actor=make_user(Role.ADMIN), version=None)
    db_session.commit()
    response = submit(operator, EDIT, {"target": "95"}, form_url="/dashboard/targets")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "其他人在您打开此页面后修改了这个目标" in page
    assert 'value="80"' in page  # the form now shows their value
    assert services.find_target(db_session, 2031, "deals_started").target == 80
