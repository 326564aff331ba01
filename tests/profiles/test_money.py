"""Money: what people may type into an amount field, and how amounts read on every page."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from matchmaker.money import AmountError, format_amount, format_range, parse_amount
from matchmaker.profiles.models import ResearchOutput, TechNeed
from tests.conftest import submit
from tests.profiles.test_views import need_form, output_form

BAD_AMOUNTS = ["NaN", "sNaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "1E5", "-5",
               "-0.01", "10000001", "99999999999999999999999", "12.345", "abc", "0x10", "1_000"]
MONEY_FIELDS = {"outputs": ["price_min", "price_max"], "needs": ["budget_min", "budget_max", "prize"]}


# --- parsing (pure) -----------------------------------------------------------------------

@pytest.mark.parametrize("text, amount", [
    ("120", Decimal(120)), ("85.5", Decimal("85.5")), ("1,200", Decimal(1200)),
    ("１２０", Decimal(120)), (" 300 万元 ", Decimal(300)), ("0", Decimal(0)),
    ("10000000", Decimal(10_000_000)), ("", None), ("   ", None),
])
def test_parse_amount_accepts_plain_numbers_of_wan_yuan(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text, code", [
    ("NaN", "not_a_number"), ("sNaN", "not_a_number"), ("Infinity", "not_a_number"),
    ("-Infinity", "not_a_number"), ("1e400", "not_a_number"), ("-5", "negative"),
    ("10000000.01", "too_large"), ("12.345", "too_precise"), ("1,2,3", "not_a_number"),
])
def test_parse_amount_refuses_what_is_not_an_amount(text, code):
    with pytest.raises(AmountError) as error:
        parse_amount(text)
    assert error.value.code == code


# --- formatting (pure) --------------------------------------------------------------------

@pytest.mark.parametrize("low, high, zh, en", [
    (100, 300, "100–300 万元", "¥1–3 million"),
    (50, None, "50 万元起", "from ¥500,000"),
    (None, 80, "不超过 80 万元", "up to ¥800,000"),
    (100, 100, "100 万元", "¥1 million"),
    ("0.5", 150, "0.5–150 万元", "¥5,000–¥1.5 million"),
    (8000, 15000, "0.8–1.5 亿元", "¥80–150 million"),
    ("12.34", "56.78", "12.34–56.78 万元", "¥123,400–¥567,800"),
    (300000, 500000, "30–50 亿元", "¥3–5 billion"),
])
def test_ranges_read_naturally_in_both_languages(low, high, zh, en):
    low = None if low is None else Decimal(low)
    high = None if high is None else Decimal(high)
    assert format_range(low, high, locale="zh") == zh
    assert format_range(low, high, locale="en") == en


def test_one_amount_and_nothing():
    assert format_amount(Decimal(50), locale="en") == "¥500,000"
    assert format_amount(Decimal(150), locale="zh") == "150 万元"
    assert format_amount(None) == "" and format_range(None, None) == ""


# --- forms: every money field refuses bad amounts with a field error ---------------------

def _form(kind, db_session, **overrides):
    if kind == "outputs":
        return output_form(db_session, **overrides)
    return need_form(**({"is_challenge": "y", "prize": "100"} | overrides))


@pytest.mark.parametrize("kind, field", [(k, f) for k, fields in MONEY_FIELDS.items()
                                         for f in fields])
@pytest.mark.parametrize("bad", BAD_AMOUNTS)
def test_bad_amount_is_a_field_error_and_nothing_is_saved(institution_client,
                                                          enterprise_client, db_session, kind,
                                                          field, bad):
    client = institution_client if kind == "outputs" else enterprise_client
    model = ResearchOutput if kind == "outputs" else TechNeed
    before = db_session.scalar(select(func.count()).select_from(model))
    response = submit(client, f"/{kind}/new", _form(kind, db_session, **{field: bad}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'data-field="{field}">[^<]+<', html), bad
    assert db_session.scalar(select(func.count()).select_from(model)) == before


def test_bad_amount_on_an_edit_keeps_the_stored_amount(institution, institution_client,
                                                       make_output, db_session):
    output = make_output(owner=institution, price_max=Decimal(120))
    price = output.price_max
    client = institution_client
    form = output_form(db_session, price_max="NaN", version=str(output.version))
    response = submit(client, f"/outputs/{output.id}/edit", form)
    assert response.status_code == 200 and 'data-field="price_max"' in response.get_data(True)
    db_session.refresh(output)
    assert output.price_max == price


def test_amounts_with_separators_and_unit_are_stored_exactly(enterprise_client, db_session):
    client = enterprise_client
    form = need_form(title="氢燃料电池双极板防腐涂层（分隔符）", budget_min="１，２００",
                     budget_max="2,500 万元", is_challenge="y", prize="99.5")
    assert submit(client, "/needs/new", form).status_code == 302
    need = db_session.scalar(select(TechNeed).where(TechNeed.title.endswith("（分隔符）")))
    assert (need.budget_min, need.budget_max, need.prize) == (1200, 2500, Decimal("99.5"))


def test_edit_form_shows_stored_amounts_without_trailing_zeros(institution, institution_client,
                                                               make_output):
    output = make_output(owner=institution, price_min=Decimal("50.00"))
    html = institution_client.get(f"/outputs/{output.id}/edit").get_data(as_text=True)
    assert 'name="price_min" type="text" value="50"' in html


# --- pages: one formatter everywhere --------------------------------------------------------

def _switch(client, code):
    submit(client, f"/auth/locale/{code}", {"next": "/"}, form_url="/")


def test_list_and_detail_pages_use_the_formatter_in_both_languages(make_need, make_broker,
                                                                     sign_in):
    need = make_need(title="电解槽氧中氢含量在线监测", budget_min=Decimal(300),
                     budget_max=Decimal("800.00"))
    client = sign_in(make_broker())
    pages = (f"/needs/{need.id}", "/needs/?q=氧中氢含量在线监测")
    for url in pages:
        assert "300–800 万元" in client.get(url).get_data(as_text=True)
    _switch(client, "en")
    for url in pages:
        assert "¥3–8 million" in client.get(url).get_data(as_text=True)


def test_prize_reads_as_money_on_the_challenge_page(make_need, make_broker, sign_in):
    need = make_need(is_challenge=True, prize=Decimal(150))
    client = sign_in(make_broker())
    assert '<span data-testid="money">150 万元</span>' in client.get(
        f"/needs/{need.id}").get_data(as_text=True)
    _switch(client, "en")
    assert '<span data-testid="money">¥1.5 million</span>' in client.get(
        f"/needs/{need.id}").get_data(as_text=True)
