"""The filter bar: every blank option says what it means, filters that cannot apply are dropped."""
import re

import pytest
from sqlalchemy import select

from matchmaker.chains.models import Chain
from tests.conftest import submit

BLANKS = {
    "zh": {"chain": "全部产业链", "segment": "全部环节", "mode": "全部转化方式", "region": "全部地区",
           "trl_from": "最低不限", "trl_to": "最高不限", "status": "全部状态"},
    "en": {"chain": "Any sector chain", "segment": "Any segment", "mode": "Any transfer mode",
           "region": "Any region", "trl_from": "from any", "trl_to": "to any",
           "status": "Any status"},
}


def _filter_form(html: str) -> str:
    return re.search(r'<form method="get"[^>]*role="search".*?</form>', html, re.DOTALL).group(0)


def _selects(form_html: str) -> dict[str, str]:
    return dict(re.findall(r'<select[^>]*id="(\w+)".*?>(.*?)</select>', form_html, re.DOTALL))


def _count(html: str) -> str:
    return re.search(r'data-testid="result-count">([^<]+)<', html).group(1)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", ["outputs", "needs"])
def test_every_blank_option_has_a_label(login_as, kind, language):
    client = login_as("broker-zhangmin")
    submit(client, f"/auth/locale/{language}", {"next": "/"}, form_url="/")
    selects = _selects(_filter_form(client.get(f"/{kind}/").get_data(as_text=True)))
    assert set(selects) == set(BLANKS[language])
    for name, options in selects.items():
        first = re.search(r'<option value="">([^<]*)</option>', options)
        assert first and first.group(1).strip() == BLANKS[language][name], name
        assert not re.search(r"<option[^>]*>\s*</option>", options), name


def test_every_filter_control_has_a_label(login_as):
    form = _filter_form(login_as("shri").get("/outputs/").get_data(as_text=True))
    ids = re.findall(r'<(?:select|input)[^>]*id="(\w+)"', form)
    labelled = set(re.findall(r'<label[^>]*for="(\w+)"', form))
    assert ids and set(ids) <= labelled


def test_trl_options_say_which_bound_they_set(login_as):
    selects = _selects(_filter_form(login_as("broker-zhangmin").get("/outputs/?trl_from=6")
                                    .get_data(as_text=True)))
    assert '<option value="6" selected>≥ 6</option>' in selects["trl_from"]
    assert '<option value="9">≤ 9</option>' in selects["trl_to"]


def test_a_segment_of_another_chain_is_dropped_from_the_filter(login_as, db_session):
    photonic = db_session.scalar(select(Chain).where(Chain.key == "photonics")).segments[0].id
    client = login_as("broker-zhangmin")
    chain_only = client.get("/needs/?chain=hydrogen").get_data(as_text=True)
    both = client.get(f"/needs/?chain=hydrogen&segment={photonic}").get_data(as_text=True)
    assert _count(both) == _count(chain_only)
    assert " selected" not in _selects(_filter_form(both))["segment"]


def test_a_segment_alone_filters_and_stays_selected(login_as, db_session):
    fuel_cells = next(s for s in db_session.scalar(select(Chain).where(Chain.key == "hydrogen"))
                      .segments if s.key == "fuel_cell")
    html = login_as("broker-zhangmin").get(f"/needs/?segment={fuel_cells.id}").get_data(True)
    assert _count(html) != _count(login_as("broker-zhangmin").get("/needs/").get_data(True))
    assert f'<option value="{fuel_cells.id}" selected>燃料电池</option>' in _selects(
        _filter_form(html))["segment"]


def test_region_names_are_english_in_english(login_as):
    client = login_as("broker-zhangmin")
    submit(client, "/auth/locale/en", {"next": "/"}, form_url="/")
    html = client.get("/outputs/?region=西安市").get_data(as_text=True)
    assert '<option value="西安市" selected>Xi&#39;an</option>' in _selects(
        _filter_form(html))["region"]
    cards = html.split('data-testid="results"')[1]
    assert '<span lang="en">Xi&#39;an</span>' in cards and "西安市" not in cards
