"""List pages count their results only up to a cap (routing.CappedPagination)."""
import re

import pytest

from matchmaker.routing import CappedPagination
from tests.conftest import IS_POSTGRES, submit

WORD = "钒液流储能双极板"


def _count(html: str) -> tuple[str, bool]:
    found = re.search(r'data-testid="result-count"( data-capped)?>([^<]+)<', html)
    return found.group(2).strip(), bool(found.group(1))


def _titles(html: str) -> set[str]:
    return set(re.findall(r'data-testid="title"[^>]*>([^<]*)<', html))


@pytest.fixture
def five_outputs(make_output):
    return [make_output(title=f"{WORD}第{n}代样机") for n in range(1, 6)]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_past_the_cap_the_list_says_more_than(monkeypatch, five_outputs, make_broker, sign_in,
                                              language):
    monkeypatch.setattr(CappedPagination, "CAP", 3)
    client = sign_in(make_broker())
    submit(client, f"/auth/locale/{language}", {"next": "/"}, form_url="/")
    html = client.get(f"/outputs/?q={WORD}").get_data(as_text=True)
    text, capped = _count(html)
    assert capped
    assert text == ("超过 3 条结果：再加一个词或筛选条件以缩小范围" if language == "zh"
                    else "More than 3 results: add a word or a filter to narrow them")
    # The page still shows its rows: all five fit on the first page of 20.
    assert len(_titles(html)) == 5


def test_within_the_cap_the_count_is_exact(monkeypatch, five_outputs, make_broker, sign_in):
    monkeypatch.setattr(CappedPagination, "CAP", 5)
    client = sign_in(make_broker())
    submit(client, "/auth/locale/en", {"next": "/"}, form_url="/")
    text, capped = _count(client.get(f"/outputs/?q={WORD}").get_data(as_text=True))
    assert (text, capped) == ("5 results", False)


def test_the_cap_bounds_the_pages_offered(app, db_session, monkeypatch, five_outputs):
    from sqlalchemy import select

    from matchmaker.profiles.models import ResearchOutput
    from matchmaker.routing import paginate_capped

    monkeypatch.setattr(CappedPagination, "CAP", 3)
    stmt = select(ResearchOutput).where(ResearchOutput.title.contains(WORD))
    with app.test_request_context():
        page = paginate_capped(db_session, stmt, page=1, per_page=2)
    assert (page.total, page.capped, page.pages, len(page.items)) == (3, True, 2, 2)


@pytest.mark.parametrize("page_number", [1, 2, 3])
def test_few_and_many_results_come_in_the_same_order(app, db_session, monkeypatch, five_outputs,
                                                     page_number):
    """Within the cap PostgreSQL collects the hits first, past it it walks the newest-first
    index (CappedPagination._query_items): both ways give the same pages."""
    from sqlalchemy import select

    from matchmaker.profiles.models import ResearchOutput
    from matchmaker.routing import paginate_capped

    stmt = (select(ResearchOutput).where(ResearchOutput.title.contains(WORD))
            .order_by(ResearchOutput.published_at.desc().nulls_first(), ResearchOutput.id.desc()))
    pages = {}
    for cap in (3, 10):  # 5 hits: past the cap of 3, within the cap of 10
        monkeypatch.setattr(CappedPagination, "CAP", cap)
        with app.test_request_context():
            page = paginate_capped(db_session, stmt, page=page_number, per_page=2)
        pages[cap] = [o.id for o in page.items]
    expected = [o.id for o in db_session.scalars(stmt).all()][(page_number - 1) * 2:][:2]
    assert pages[3] == pages[10] == expected


@pytest.mark.skipif(not IS_POSTGRES, reason="the single hits statement is PostgreSQL's path")
@pytest.mark.parametrize("cap, searches", [(10, 1), (3, 2)])
def test_postgres_searches_once_within_the_cap(app, db_session, monkeypatch, five_outputs, cap,
                                               searches):
    """Within the cap the ordered hits give both the count and the page's ids, and the page's
    rows are then loaded by id: one search, not a count and a page that each search. Past the
    cap the hits are only counted and the page walks the newest-first order (two)."""
    from sqlalchemy import event, select

    from matchmaker.profiles.models import ResearchOutput
    from matchmaker.routing import paginate_capped

    monkeypatch.setattr(CappedPagination, "CAP", cap)
    stmt = (select(ResearchOutput).where(ResearchOutput.title.contains(WORD))
            .order_by(ResearchOutput.published_at.desc().nulls_first(), ResearchOutput.id.desc()))
    seen = []
    engine = db_session.get_bind().engine

    def record(conn, cursor, statement, parameters, *args):
        seen.append(parameters)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context():
            page = paginate_capped(db_session, stmt, page=1, per_page=2)
            ids = [o.id for o in page.items]
            total = page.total
    finally:
        event.remove(engine, "before_cursor_execute", record)
    searching = [p for p in seen if any(WORD in str(value) for value in p.values())]
    assert len(searching) == searches
    assert (total, page.capped) == ((5, False) if cap == 10 else (3, True))
    assert ids == [o.id for o in db_session.scalars(stmt).all()][:2]
