"""The pure parsers and cleaners take any text: money, list search, IPC codes, form hygiene.

On PostgreSQL runs, every tsquery and tsvector literal the search module writes is also cast
by the server, which refuses what its parser does not accept (a word over 2047 bytes, say).
"""
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, literal, select
from sqlalchemy import text as sql

from matchmaker import textsearch
from matchmaker.domain import normalize_ipc
from matchmaker.extensions import db
from matchmaker.money import MONEY_MAX, AmountError, format_amount, format_range, parse_amount
from matchmaker.textclean import clean_line, clean_text, fold_name, is_blank
from tests.conftest import IS_POSTGRES
from tests.fuzz import values
from tests.fuzz.config import EXAMPLES, fuzz_settings, seeded

FUZZ = fuzz_settings(max(300, EXAMPLES * 50))
ANY_TEXT = st.one_of(values.text(), st.text(), values.text(300))
AMOUNT_TEXT = st.one_of(
    ANY_TEXT,
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.from_regex(r"\A[-+ ]?[0-9０-９,，]{0,30}(\.[0-9]{0,5})?\s*(万元|万|亿)?\Z"),
)
STORED_AMOUNTS = st.decimals(min_value=0, max_value=MONEY_MAX, places=2)


# --- money ------------------------------------------------------------------------------

@seeded
@FUZZ
@given(AMOUNT_TEXT)
def test_parse_amount_returns_a_stored_amount_or_raises_amount_error(typed):
    try:
        amount = parse_amount(typed)
    except AmountError as error:
        assert error.code in ("not_a_number", "negative", "too_large", "too_precise")
        return
    if amount is not None:
        assert amount.is_finite() and 0 <= amount <= MONEY_MAX
        assert amount == amount.quantize(Decimal("0.01"))


@seeded
@FUZZ
@given(st.one_of(st.none(), STORED_AMOUNTS), st.one_of(st.none(), STORED_AMOUNTS),
       st.sampled_from(("zh", "en")))
def test_formatting_any_stored_amount_or_range_never_raises(low, high, locale):
    assert isinstance(format_amount(low, locale=locale), str)
    assert isinstance(format_range(low, high, locale=locale), str)


@seeded
@FUZZ
@given(AMOUNT_TEXT)
def test_every_parsed_amount_formats(typed):
    try:
        amount = parse_amount(typed)
    except AmountError:
        return
    for locale in ("zh", "en"):
        format_amount(amount, locale=locale)


# --- list search ----------------------------------------------------------------------

SYNONYM_GROUPS = st.lists(st.lists(ANY_TEXT, min_size=1, max_size=4), max_size=3)


@seeded
@FUZZ
@given(ANY_TEXT, SYNONYM_GROUPS)
def test_search_tokens_terms_and_literals_never_raise(query, groups):
    textsearch.tokens(query)
    terms = textsearch.query_terms(query, groups)
    assert len(terms) <= textsearch.MAX_TERMS
    assert all(alternatives for alternatives in terms)
    if terms:
        assert textsearch.tsquery(terms)
    textsearch.like_patterns(terms)
    textsearch.Document.of(query, [g[0] for g in groups]).tsvector()


@seeded
@FUZZ
@given(ANY_TEXT, SYNONYM_GROUPS)
def test_sqlite_accepts_every_like_pattern(query, groups):
    """SQLite refuses LIKE patterns over 50,000 bytes ("pattern too complex")."""
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        for alternatives in textsearch.like_patterns(textsearch.query_terms(query, groups)):
            for pattern in alternatives:
                connection.execute(select(literal("x").contains(pattern, autoescape=True)))


@pytest.fixture(scope="module")
def pg_connection(app):
    if not IS_POSTGRES:
        pytest.skip("the tsquery and tsvector parsers are PostgreSQL's")
    with app.app_context():
        engine = db.engine
    with engine.connect() as connection:
        yield connection


@pytest.mark.postgres
@seeded
@FUZZ
@given(query=ANY_TEXT, groups=SYNONYM_GROUPS)
def test_postgres_accepts_every_tsquery_and_tsvector_literal(pg_connection, query, groups):
    terms = textsearch.query_terms(query, groups)
    document = textsearch.Document.of(query, *[g for g in groups])
    with pg_connection.begin() as transaction:
        if terms:
            pg_connection.execute(sql("SELECT CAST(:q AS tsquery)"),
                                  {"q": textsearch.tsquery(terms)})
        pg_connection.execute(sql("SELECT CAST(:v AS tsvector)"), {"v": document.tsvector()})
        transaction.rollback()


# --- IPC codes ------------------------------------------------------------------------

IPC_LIKE = st.from_regex(r"\A\s*[A-Ha-h]\s*[0-9]{1,3}\s*[A-Za-z]?\s*([0-9]{1,5}\s*[/／]?\s*[0-9]{0,7})?"
                         r"\s*\Z")


@seeded
@FUZZ
@given(st.one_of(ANY_TEXT, IPC_LIKE), st.booleans())
def test_normalize_ipc_returns_a_canonical_ascii_code_or_none(code, full):
    result = normalize_ipc(code, full=full)
    if result is not None:
        assert result.isascii() and result == result.strip()
        assert normalize_ipc(result, full=full) == result
        if full:
            assert "/" in result


# --- form hygiene ----------------------------------------------------------------------

def _shows_nothing(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf")


@seeded
@FUZZ
@given(ANY_TEXT)
def test_clean_line_leaves_one_visible_line_or_nothing(typed):
    cleaned = clean_line(typed)
    assert cleaned == cleaned.strip()
    assert not any(_shows_nothing(c) for c in cleaned)
    assert cleaned == "" or not is_blank(cleaned)
    assert clean_line(cleaned) == cleaned


@seeded
@FUZZ
@given(ANY_TEXT)
def test_clean_line_keeps_newlines_when_asked(typed):
    cleaned = clean_line(typed, keep="\n")
    assert not any(_shows_nothing(c) and c != "\n" for c in cleaned)
    assert clean_line(cleaned, keep="\n") == cleaned


@seeded
@FUZZ
@given(ANY_TEXT)
def test_clean_text_keeps_lines_and_tabs_only(typed):
    cleaned = clean_text(typed)
    assert "\r" not in cleaned
    assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in cleaned)
    assert cleaned == "" or not is_blank(cleaned)
    assert clean_text(cleaned) == cleaned


@seeded
@FUZZ
@given(ANY_TEXT)
def test_fold_name_is_stable_and_shows_something_or_nothing(typed):
    folded = fold_name(typed)
    assert fold_name(folded) == folded
    assert folded == "" or not is_blank(folded)
