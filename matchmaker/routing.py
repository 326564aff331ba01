"""URL pieces shared by every blueprint: database ids in paths and page numbers in queries.

An id or page number that cannot exist is a page that does not exist (404), decided here once
instead of in every view, and before the value reaches the database: ids are 32-bit INTEGER
columns on PostgreSQL, and SQLite refuses integers above 2**63 - 1, so a large number in a URL
used to become a 500.
"""
from flask import Flask, abort, request
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Column, Select, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate
from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # PostgreSQL INTEGER, the type of every primary key
PAGE_MAX = 100_000  # far beyond any list; keeps OFFSET small enough for both databases


class IdConverter(IntegerConverter):
    """A positive database id (1 .. 2**31 - 1); anything else does not match the route.

    Registered as both ``id`` and ``int``, so that every ``<int:…_id>`` route of the app is
    bounded, including those of blueprints that spell it the Werkzeug way.
    """

    regex = r"[0-9]{1,10}"  # ASCII digits only; longer numbers cannot be ids

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(url_map, *args, **kwargs)


def parse_page(value: str | None) -> int | None:
    """Return value as a page number (1 .. PAGE_MAX), 1 when it is absent, None when invalid."""
    if value is None or value == "":
        return 1
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(PAGE_MAX)):
        return None
    page = int(text)
    return page if 1 <= page <= PAGE_MAX else None


def page_number(arg: str = "page") -> int:
    """Return the page number of the current request; abort with 404 if it cannot exist."""
    page = parse_page(request.args.get(arg))
    if page is None:
        abort(404)
    return page


def bounded_int(value, low: int, high: int) -> int | None:
    """Return value as an int in [low, high], or None (missing, garbage or out of range)."""
    text = str(value or "").strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 12:
        return None
    number = int(text)
    return number if low <= number <= high else None


class CappedPagination(SelectPagination):
    """A page of a SELECT whose total is counted only up to a cap.

    A list page showed the exact number of results; at 100k listings a common search word
    (材料, 控制) matches thousands of rows, and counting them read every one of them on every
    page view, more work than the page itself. Past the cap the page says "more than N
    results" (``capped``) and offers the pages up to the cap; narrowing the search or the
    filters gives the exact figure again.

    On PostgreSQL the hits are found once per page view (``_hit_ids``): one statement
    collects up to CAP + 1 of them through the search index with the columns they are ordered
    by, and orders them. Within the cap that list is the count and the page's ids both, and
    only the page's rows are then loaded; past it the newest-first walk gives the page.
    """

    CAP = 500

    capped: bool = False
    _total: int | None = None
    _ordered_ids: list | None = None  # every hit, in page order (PostgreSQL, within the cap)

    def _query_count(self) -> int:
        if self._total is None:
            session: Session = self._query_args["session"]
            if session.get_bind().dialect.name == "postgresql":
                total = len(self._hit_ids())
            else:
                stmt: Select = self._query_args["select"]
                hits = (stmt.order_by(None)
                        .with_only_columns(literal_column("1"), maintain_column_froms=True)
                        .limit(self.CAP + 1).subquery())
                total = session.execute(select(func.count()).select_from(hits)).scalar_one()
            self.capped = total > self.CAP
            self._total = min(total, self.CAP)
        return self._total

    def _hit_ids(self) -> list:
        """Return the ids of up to CAP + 1 hits, ordered as the page orders them (when there
        are more, which ones is arbitrary: the list is then only counted).

        For a page of newest listings PostgreSQL would walk the newest-first index and test
        each row against the search and the filters until it has a page. That is quick when
        hits are dense and slow when they are sparse, because each test unpacks the row's
        whole search vector from its TOAST storage: a rare word with a transfer-mode filter
        tested tens of thousands of rows for one page (光纤 + equity at 100k outputs: 166 ms).
        A MATERIALIZED CTE makes it collect the hits through the search index first (no
        vector unpacked), with only the id and the ordering columns, and order the few found.
        This one statement used to be two, a count and a page, that each found the hits.
        """
        stmt: Select = self._query_args["select"]
        session: Session = self._query_args["session"]
        entity = stmt.column_descriptions[0]["entity"]
        order = list(stmt._order_by_clauses)
        keys: list[Column] = []  # the columns the order reads, besides the id
        for element in (e for clause in order for e in iterate(clause)):
            if isinstance(element, Column) and not element.compare(entity.id.expression) \
                    and not any(element.compare(key) for key in keys):
                keys.append(element)
        hits = (stmt.order_by(None).with_only_columns(entity.id, *keys)
                .limit(self.CAP + 1).cte("hits").prefix_with("MATERIALIZED"))
        adapter = ClauseAdapter(hits)
        ordered = select(hits.c.id).order_by(*(adapter.traverse(clause) for clause in order))
        self._ordered_ids = list(session.scalars(ordered))
        return self._ordered_ids

    def _query_items(self) -> list:
        """Return the page's rows: within the cap on PostgreSQL, the page's slice of the
        ordered hits loaded by id; otherwise (SQLite, or past the cap) the SELECT's own page."""
        session: Session = self._query_args["session"]
        if session.get_bind().dialect.name != "postgresql" or self._dense():
            return super()._query_items()
        stmt: Select = self._query_args["select"]
        entity = stmt.column_descriptions[0]["entity"]
        ids = self._ordered_ids[self._query_offset:self._query_offset + self.per_page]
        if not ids:
            return []
        rows = session.execute(select(entity).where(entity.id.in_(ids))
                               .options(*stmt._with_options)).unique().scalars()
        position = {row_id: n for n, row_id in enumerate(ids)}
        return sorted(rows, key=lambda row: position[row.id])

    def _dense(self) -> bool:
        """Return whether the results pass the cap (then the newest-first walk is quick)."""
        self._query_count()
        return self.capped


def paginate_capped(session: Session, stmt: Select, *, page: int, per_page: int
                    ) -> CappedPagination:
    """Return one page of stmt's rows, with a total counted up to CappedPagination.CAP."""
    return CappedPagination(select=stmt, session=session, page=page, per_page=per_page,
                            max_per_page=100)


def register(app: Flask) -> None:
    """Bound ids in every route and page numbers in every query (before any route is added).

    The page check runs before each request, so every paginated page of the app, including
    those that let Flask-SQLAlchemy read ?page= itself, sees only a possible page number.
    """
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = IdConverter  # every <int:…> route of the app is an id

    @app.before_request
    def refuse_impossible_pages():
        if "page" in request.args:
            page_number()
