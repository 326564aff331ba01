"""List search: tokens, queries and synonym expansion (plain Python), and on PostgreSQL the
GIN index that serves it."""
import pytest
from sqlalchemy import select, text

from matchmaker import textsearch
from matchmaker.profiles.models import ResearchOutput
from matchmaker.profiles.search import search_condition
from tests.conftest import IS_POSTGRES, recorded_statements


def test_chinese_is_indexed_as_bigrams_and_words_whole_after_normalising():
    assert textsearch.tokens("ＰＥＭ電解槽 C25B") == ["pem", "电解", "解槽", "槽", "c25b"]


def test_positions_leave_a_gap_between_fields_so_no_phrase_spans_two():
    vector = textsearch.Document.of("燃料电池", ["电池"]).tsvector()
    assert vector == "'燃料':1 '料电':2 '电池':3,6 '池':4,7"  # a gap between fields


def test_a_query_term_is_a_phrase_of_adjacent_bigrams_and_words_match_by_prefix():
    terms = textsearch.query_terms("燃料电池 electroly 氢", synonyms=None)
    assert textsearch.tsquery(terms) == ("(('燃料' <-> '料电' <-> '电池')) & "
                                         "(('electroly':*)) & (('氢':*))")


def test_synonyms_expand_single_and_multi_word_terms():
    group = [["双极板", "bipolar plate", "BPP"]]
    assert textsearch.query_terms("Bipolar Plate 涂层", group) == [
        ("双极板", "bipolar plate", "bpp"), ("涂层", "coating")]
    assert textsearch.query_terms("ＢＰＰ", group) == [("双极板", "bipolar plate", "bpp")]


def test_queries_without_searchable_characters_have_no_terms():
    assert textsearch.query_terms("!!! ，。 %_% <-> :*") == []


@pytest.mark.skipif(not IS_POSTGRES, reason="the GIN index exists on PostgreSQL only")
def test_postgres_search_uses_the_gin_index(db_session):
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    condition = search_condition(ResearchOutput.search_vector, "双极板 涂层")
    stmt = select(ResearchOutput.id).where(condition)
    compiled = stmt.compile(db_session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(db_session.execute(text(f"EXPLAIN {compiled}")).scalars())
    assert "ix_research_outputs_search_vector" in plan, plan


def test_words_longer_than_postgres_allows_are_cut_alike_in_index_and_query():
    """PostgreSQL refuses lexemes over 2047 bytes (found by the parser fuzz)."""
    word = "z" * 3000
    assert textsearch.tokens(f"前 {word}") == ["前", "z" * textsearch.MAX_WORD]
    # a query term keeps the search box's length and finds the long word by prefix
    assert textsearch.tsquery(textsearch.query_terms(word)) == \
        f"(('{'z' * textsearch.MAX_TERM}':*))"


def test_a_listing_with_a_very_long_word_is_saved_and_found(login_as, db_session):
    """Saving such a listing was a 500 on PostgreSQL (the tsvector cast failed)."""
    from tests.conftest import submit
    from tests.profiles.test_views import output_form

    client = login_as("qcut")
    word = "ultralongword" * 250  # 3250 characters, one word
    response = submit(client, "/outputs/new", output_form(
        db_session, abstract=f"{word} 采用聚苯硫醚基复合隔膜，适用于兆瓦级碱性电解槽。"))
    assert response.status_code == 302
    output_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/outputs/?mine=1&status=draft&q={word[:90]}").get_data(as_text=True)
    assert f"/outputs/{output_id}" in page


def test_every_alternative_of_a_query_term_is_cut_to_the_search_box_length():
    group = [["质子交换膜", "中" * 20000]]
    terms = textsearch.query_terms("质子交换膜", group)
    assert max(len(a) for t in terms for a in t) == textsearch.MAX_TERM


def test_a_search_whose_synonym_is_very_long_answers(db_session):
    """A synonym of thousands of characters made a tsquery deeper than PostgreSQL's stack and
    a LIKE pattern too complex for SQLite (found by the parser fuzz)."""
    group = [["质子交换膜", "中" * 20000]]
    condition = search_condition(ResearchOutput.search_vector, "质子交换膜", group)
    assert db_session.scalars(select(ResearchOutput.id).where(condition)).all()


def test_a_term_mixing_scripts_or_punctuation_keeps_the_indexed_last_character_between_runs():
    terms = textsearch.query_terms("电解槽PEM 膜电极（二期）", synonyms=None)
    assert textsearch.tsquery(terms) == (
        "(('电解' <-> '解槽' <-> '槽' <-> 'pem':*)) & "
        "(('膜电' <-> '电极' <-> '极' <-> '二期'))")
    # a term ending in Chinese still finds longer words by their beginning (no extra token)
    assert textsearch.tsquery(textsearch.query_terms("PEM电解", synonyms=None)) == \
        "(('pem':* <-> '电解'))"


@pytest.mark.parametrize("query", ["电解槽PEM", "碱性电解槽PEM兼容型双极板（二期）", "双极板（二期",
                                   "PEM兼容"])
def test_a_whole_title_or_a_part_across_scripts_finds_the_listing(login_as, db_session, query):
    """On PostgreSQL such searches found nothing: the phrase skipped the index's token for the
    last character of a Chinese run."""
    from tests.conftest import submit
    from tests.profiles.test_views import output_form

    client = login_as("qcut")
    response = submit(client, "/outputs/new", output_form(
        db_session, title="碱性电解槽PEM兼容型双极板（二期）"))
    assert response.status_code == 302
    output_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get("/outputs/", query_string={"mine": 1, "status": "draft", "q": query})
    assert f"/outputs/{output_id}\"" in page.get_data(as_text=True)


# --- transfer modes in the search vector --------------------------------------------------------

def test_a_listings_transfer_modes_are_lexemes_that_no_text_makes():
    vector = textsearch.Document.of("许可", modes=["licence", "equity"]).tsvector()
    assert vector == "'许可':1 '可':2 'mode~equity' 'mode~licence'"
    assert "mode~licence" not in textsearch.tokens("mode~licence")  # text: words only
    assert textsearch.mode_lexeme("use_first_pay_later") == "mode~use_first_pay_later"
    for not_a_key in ("", "licence' | '电池", "Licence", "许可"):
        assert textsearch.mode_lexeme(not_a_key) is None
    assert textsearch.Document.of("许可", modes=["x' | 'y"]).tsvector() == "'许可':1 '可':2"


def test_a_search_in_a_mode_asks_for_the_modes_lexeme():
    terms = textsearch.query_terms("电池", synonyms=None)
    assert textsearch.tsquery(terms, "licence") == "(('电池')) & 'mode~licence'"
    assert textsearch.tsquery(terms, "x' | 'y") == "(('电池'))"


WORD = "钒钛储能双极板"


def _titles(client, **query) -> set[str]:
    import re

    html = client.get("/outputs/", query_string={"q": WORD, **query}).get_data(as_text=True)
    return set(re.findall(r'data-testid="title"[^>]*>([^<]*)<', html))


def test_a_search_in_a_mode_finds_the_listings_in_that_mode_as_their_modes_change(
        db_session, make_output, make_broker, sign_in):
    licensed = make_output(title=f"{WORD}甲", modes=["licence", "assignment"])
    equity = make_output(title=f"{WORD}乙", modes=["equity"])
    client = sign_in(make_broker())
    assert _titles(client, mode="licence") == {licensed.title}
    assert _titles(client, mode="equity") == {equity.title}
    assert _titles(client) == {licensed.title, equity.title}

    licensed.modes = ["equity"]  # any write path: the vector follows the mode rows
    db_session.flush()
    assert _titles(client, mode="licence") == set()
    assert _titles(client, mode="equity") == {licensed.title, equity.title}
    assert _titles(client, mode="no_such_mode") == {licensed.title, equity.title}  # ignored


@pytest.mark.skipif(not IS_POSTGRES, reason="the mode lexemes serve PostgreSQL's search index")
def test_postgres_finds_a_searchs_hits_in_a_mode_without_reading_the_mode_table(
        db_session, make_output, make_broker, sign_in):
    make_output(title=f"{WORD}甲", modes=["licence"])
    client = sign_in(make_broker())
    with recorded_statements(db_session) as statements:
        assert _titles(client, mode="licence") == {f"{WORD}甲"}
    searches = [s for s in statements if "search_vector @@" in s]
    assert len(searches) == 1
    assert "research_output_modes" not in searches[0]
