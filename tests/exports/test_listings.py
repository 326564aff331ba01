"""Exports of the outputs and needs lists: the page's filters and search, the page's
visibility per role, formulas neutralised, both formats read back, both languages."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from matchmaker.domain import Role
from matchmaker.profiles.models import ResearchOutput
from matchmaker.profiles.services import ListFilters, list_needs_query, list_outputs_query


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.get_data()))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def _english(client):
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


def test_anonymous_visitors_get_no_export(client):
    for url in ("/exports/outputs.csv", "/exports/needs.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_filters_and_search_of_the_page_are_honoured(db_session, login_as):
    from matchmaker.auth.models import User
    from matchmaker.seed import demo_email

    broker = login_as("broker-zhangmin")
    rows = _csv(broker.get("/exports/outputs.csv?chain=hydrogen&trl_from=6"))
    viewer = db_session.scalar(select(User).where(User.email == demo_email("broker-zhangmin")))
    expected = db_session.scalars(list_outputs_query(
        ListFilters(chain="hydrogen", trl_from=6), viewer=viewer)).all()
    assert expected and [int(r[0]) for r in rows[1:]] == [o.id for o in expected]
    assert all(int(r[6]) >= 6 for r in rows[1:])
    everything = _csv(broker.get("/exports/outputs.csv"))
    assert len(everything) > len(rows)
    word = expected[0].keywords[0]
    searched = _csv(broker.get(f"/exports/needs.csv?q={word}"))
    found = db_session.scalars(list_needs_query(ListFilters(q=word), viewer=viewer)).all()
    assert [int(r[0]) for r in searched[1:]] == [n.id for n in found]


def test_a_viewer_never_gets_rows_the_page_hides(db_session, make_user, make_output,
                                                 sign_in):
    owner = make_user(Role.INSTITUTION)
    draft = make_output(status="draft", owner=owner, title="只给本单位看的草稿成果 export")
    public = make_output(owner=owner, title="公开的成果 export visibility")
    stranger = sign_in(make_user(Role.BROKER))
    ids = [int(r[0]) for r in _csv(stranger.get("/exports/outputs.csv?mine=1"))[1:]]
    assert public.id in ids and draft.id not in ids
    mine = [int(r[0]) for r in _csv(sign_in(owner).get("/exports/outputs.csv?mine=1"))[1:]]
    assert draft.id in mine and public.id in mine
    operator = [r[0] for r in _xlsx(sign_in(make_user(Role.ADMIN)).get(
        "/exports/outputs.xlsx?status=draft"))[1:]]
    assert draft.id in operator


def test_no_confidential_column_is_exported(db_session, make_output, login_as):
    output = make_output(title="带保密说明的成果 export")
    output.confidential_note = "SECRET-NDA-ONLY 保密内容"
    db_session.flush()
    body = login_as("broker-zhangmin").get("/exports/outputs.csv").get_data(as_text=True)
    assert "SECRET-NDA-ONLY" not in body


SUFFIX = " 固体氧化物电解池电堆高温密封技术"


@pytest.mark.parametrize("title", ['=HYPERLINK("http://evil.example","点我")' + SUFFIX,
                                   "+1+cmd|' /C calc'!A0" + SUFFIX, "@SUM(1+1)" + SUFFIX,
                                   "-2+3" + SUFFIX])
def test_cells_that_would_be_formulas_are_neutralised(db_session, make_output, login_as,
                                                      title):
    output = make_output(title=title, keywords=["formula-guard"])
    client = login_as("broker-zhangmin")
    rows = _csv(client.get("/exports/outputs.csv?q=formula-guard"))
    assert [r[1] for r in rows[1:] if int(r[0]) == output.id] == ["'" + title]
    sheet = _xlsx(client.get("/exports/outputs.xlsx?q=formula-guard"))
    assert [r[1] for r in sheet[1:] if r[0] == output.id] == ["'" + title]


def test_both_formats_hold_the_same_rows(login_as):
    client = login_as("broker-zhangmin")
    rows = _csv(client.get("/exports/needs.csv?chain=photonics"))
    sheet = _xlsx(client.get("/exports/needs.xlsx?chain=photonics"))
    assert len(rows) == len(sheet) > 1
    assert [r[:2] for r in rows] == [[str(c) for c in r[:2]] for r in sheet]


def test_headers_follow_the_readers_language(login_as):
    client = login_as("broker-zhangmin")
    assert _csv(client.get("/exports/outputs.csv"))[0][1:5] == ["标题", "高校院所", "地区", "产业链"]
    english = _english(login_as("broker-zhangmin"))
    assert _csv(english.get("/exports/outputs.csv"))[0][:3] == ["ID", "Title", "Institution"]
    assert _xlsx(english.get("/exports/needs.xlsx"))[0][:3] == ["ID", "Title", "Enterprise"]


def test_a_long_list_is_cut_with_a_note(app, login_as):
    client = login_as("broker-zhangmin")
    app.config["EXPORT_MAX_ROWS"] = 3
    try:
        rows = _csv(client.get("/exports/outputs.csv"))
        book = load_workbook(io.BytesIO(client.get("/exports/outputs.xlsx").get_data()))
    finally:
        del app.config["EXPORT_MAX_ROWS"]
    assert len(rows) == 1 + 3 + 1 and "3" in rows[-1][0]
    assert book.worksheets[0].max_row == 4 and len(book.worksheets) == 2


def test_the_list_page_links_to_its_exports_with_its_query(login_as, db_session):
    page = login_as("broker-zhangmin").get("/outputs/?chain=hydrogen&q=%E6%B0%A2")
    html = page.get_data(as_text=True)
    assert "/exports/outputs.xlsx?chain=hydrogen&amp;q=%E6%B0%A2" in html
    assert "/exports/outputs.csv?chain=hydrogen&amp;q=%E6%B0%A2" in html
    assert db_session.scalar(select(ResearchOutput.id).limit(1))


def _deal_ids(client, query: str = "") -> list[int]:
    return [int(r[0]) for r in _csv(client.get(f"/exports/deals.csv{query}"))[1:]]


def test_deals_export_shows_each_role_the_deals_of_its_list(db_session, make_deal, make_user,
                                                            sign_in):
    owner = make_user(Role.BROKER)
    deal = make_deal(owner=owner, title="导出测试项目 deals-export")
    member = make_user(Role.INSTITUTION, organisation=deal.output.institution)
    assert deal.id in _deal_ids(sign_in(owner))
    assert deal.id not in _deal_ids(sign_in(make_user(Role.BROKER)))
    assert deal.id in _deal_ids(sign_in(make_user(Role.ADMIN)))
    assert deal.id not in _deal_ids(sign_in(make_user(Role.ENTERPRISE)))
    assert deal.id in _deal_ids(sign_in(member))


def test_deals_export_honours_the_filters_and_speaks_english(db_session, make_deal, make_user,
                                                             sign_in):
    owner = make_user(Role.BROKER)
    cheap = make_deal(owner=owner, expected_value=50, title="便宜的项目 deals-filter")
    dear = make_deal(owner=owner, expected_value=900, title="贵的项目 deals-filter")
    client = sign_in(owner)
    ids = _deal_ids(client, "?value_min=100")
    assert dear.id in ids and cheap.id not in ids
    english = _english(client)
    sheet = _xlsx(english.get("/exports/deals.xlsx?value_min=100"))
    assert sheet[0][:3] == ["ID", "Title", "Stage"]
    assert [r[0] for r in sheet[1:]] == ids
    page = client.get("/deals/?value_min=100").get_data(as_text=True)
    assert "/exports/deals.csv?value_min=100" in page
