"""The rankings pages: what the public sees and does not, the signed-in board with its records,
the period and chain selection, and bad input. The world is in conftest.py."""
import re

import pytest

from matchmaker.auth import services as auth
from matchmaker.domain import Role


def names_in(html: str, world) -> list[str]:
    """Return which of the world's brokers appear in the board, in order ('A', 'B')."""
    order = []
    for cell in re.findall(r'data-testid="position-name">(.*?)</td>', html, re.DOTALL):
        for letter, user in (("A", world.broker_a), ("B", world.broker_b)):
            if user.display_name in cell:
                order.append(letter)
    return order


def test_the_index_lists_every_board_with_its_formula(client):
    html = client.get("/rankings/").get_data(as_text=True)
    assert html.count('data-testid="board-link"') == 9
    assert "/rankings/institution-speed" in html


def test_the_top_bar_links_to_the_rankings(client):
    assert 'href="/rankings/"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("period", "order"), [
    ("2026-Q1", ["A", "B"]),  # 150 each, one contract each, same day: A by name
    ("2026-Q2", ["B"]),
    ("2026-03", ["A", "B"]),
    ("2026-04", ["B"]),
    ("2026", ["B", "A"]),  # B 250 over two contracts
    ("2025", []),
])
def test_the_broker_value_board_follows_the_period(world, client, period, order):
    html = client.get(world.url("broker-value", period)).get_data(as_text=True)
    assert names_in(html, world) == order
    if not order:
        assert 'data-testid="board-empty"' in html


def test_the_chain_filter_keeps_other_chains_out(world, client, make_chain):
    other = make_chain()
    html = client.get(f"/rankings/broker-value?period=2026&chain={other.key}").get_data(
        as_text=True)
    assert names_in(html, world) == [] and 'data-testid="board-empty"' in html


def test_the_formula_and_the_tie_rule_are_shown_next_to_the_board(world, client):
    html = client.get(world.url("broker-value", "2026")).get_data(as_text=True)
    formula = re.search(r'data-testid="formula">(.*?)</p>', html, re.DOTALL).group(1)
    ties = re.search(r'data-testid="tie-rule">(.*?)</p>', html, re.DOTALL).group(1)
    assert "co-broker" in formula or "协办经纪人" in formula
    assert ties.strip()


# --- the public board: one test per hidden thing -------------------------------------------

def test_the_public_does_not_see_contract_values(world, client):
    html = client.get(world.url("broker-value", "2026")).get_data(as_text=True)
    assert names_in(html, world) == ["B", "A"]
    assert 'data-testid="figure-value"' not in html
    assert "250" not in html and "万元" not in html.split('data-testid="board-table"')[1]
    assert 'data-testid="figure-contracts"' in html  # counts stay public
    assert 'data-testid="values-hidden-note"' in html


def test_the_public_does_not_see_median_days(world, client):
    html = client.get(world.url("institution-speed", "2026")).get_data(as_text=True)
    assert html.count('data-testid="position"') == 2
    assert 'data-testid="figure-median_days"' not in html


def test_the_public_does_not_see_the_records_behind_a_position(world, client):
    html = client.get(world.url("broker-value", "2026")).get_data(as_text=True)
    assert 'data-testid="position-records"' not in html
    assert f"/deals/{world.deal_1.id}" not in html


def test_the_public_does_not_see_the_day_a_figure_was_reached(world, client):
    html = client.get(world.url("broker-value", "2026")).get_data(as_text=True)
    assert "2026-03-31" not in html and "2026-04-01" not in html


def test_the_public_does_not_see_a_broker_name_that_is_not_public(db_session, world, client,
                                                                 sign_in, admin):
    auth.set_account_status(db_session, world.broker_a, "disabled")
    html = client.get(world.url("broker-value", "2026")).get_data(as_text=True)
    assert world.broker_a.display_name not in html
    assert html.count('data-testid="name-hidden"') == 1
    assert names_in(html, world) == ["B"]
    # Signed in, the name is there (without a link to a profile page that is gone).
    signed = sign_in(admin).get(world.url("broker-value", "2026")).get_data(as_text=True)
    assert world.broker_a.display_name in signed and 'data-testid="name-hidden"' not in signed


def test_the_public_sees_organisation_names_with_links_to_their_pages(world, client):
    html = client.get(world.url("institution-value", "2026")).get_data(as_text=True)
    institution = world.deal_1.output.institution
    assert institution.name in html and f"/institutions/{institution.id}" in html


# --- the signed-in board -------------------------------------------------------------------

def test_signed_in_users_see_values_and_the_day_reached(world, client, sign_in, admin):
    html = sign_in(admin).get(world.url("broker-value", "2026")).get_data(as_text=True)
    values = re.findall(r'data-testid="figure-value">([^<]*)<', html)
    assert values == ["250 万元", "150 万元"] or values == ["¥2.5 million", "¥1.5 million"]
    assert "2026-04-01" in html and "2026-03-31" in html


def test_a_position_links_to_the_deals_the_viewer_may_open_and_counts_the_others(
        world, client, sign_in):
    html = sign_in(world.broker_a).get(world.url("broker-value", "2026")).get_data(
        as_text=True)
    rows = html.split('data-testid="position"')[1:]
    b_row, a_row = rows
    # B's position rests on deals 1 and 2: A works on deal 1 only.
    assert f"/deals/{world.deal_1.id}" in b_row and f"/deals/{world.deal_2.id}" not in b_row
    assert 'data-testid="records-hidden"' in b_row
    assert f"/deals/{world.deal_1.id}" in a_row and 'data-testid="records-hidden"' not in a_row


def test_an_institution_member_sees_its_own_deal_behind_its_position(world, sign_in,
                                                                      make_user):
    institution = world.deal_1.output.institution
    member = make_user(Role.INSTITUTION, organisation=institution)
    html = sign_in(member).get(world.url("institution-value", "2026")).get_data(as_text=True)
    assert f"/deals/{world.deal_1.id}" in html
    assert f"/deals/{world.deal_2.id}" not in html
    assert html.count('data-testid="records-hidden"') == 1  # the other institution's deal


def test_landing_and_service_boards_render_for_the_signed_in(world, sign_in, admin):
    signed = sign_in(admin)
    for board in ("broker-landed", "broker-local", "broker-services", "enterprise-solved",
                  "enterprise-challenges", "institution-transferred", "institution-speed"):
        assert signed.get(world.url(board, "all")).status_code == 200


# --- bad input -----------------------------------------------------------------------------

def test_an_unknown_board_is_not_found(client):
    assert client.get("/rankings/no-such-board").status_code == 404
    assert client.get("/rankings/broker-value/export.pdf").status_code == 404


@pytest.mark.parametrize("period", ["2026-13", "yesterday", "9999", "2026-Q9", "%00"])
def test_a_period_that_does_not_exist_is_named_and_this_year_shown(client, period):
    response = client.get(f"/rankings/broker-value?period={period}")
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert 'alert-warning' in html


def test_a_chain_that_does_not_exist_is_named_and_all_chains_shown(client):
    html = client.get("/rankings/broker-value?chain=nope").get_data(as_text=True)
    assert "nope" in html and "alert-warning" in html
