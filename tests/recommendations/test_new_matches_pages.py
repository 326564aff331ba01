"""New matches on the pages: the owner's home page lists their listings with "N new matches"
(new first, the total in the heading, one query for every listing's counts), the listing's
page marks the new ones and opening it clears them for that user only; the introduction
requests on the home page are split into waiting and decided."""
import re

import pytest
from sqlalchemy import event

from matchmaker.domain import Role
from matchmaker.pipeline import clock
from matchmaker.pipeline import services as pipeline
from matchmaker.recommendations import seen
from tests.recommendations.conftest import settle_jobs, store_list


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def new_marks(page: str) -> list[int]:
    """Return the candidates a listing's page marks new, in rank order."""
    return [int(i) for i in re.findall(r'data-candidate="(\d+)" data-new="1"', page)]


def home_rows(page: str) -> list[tuple[int, int]]:
    """Return (listing id, new matches) of the home page's listings, in order."""
    return [(int(a), int(b)) for a, b in re.findall(
        r'data-testid="home-listing" data-listing="(\d+)" data-new="(\d+)"', page)]


def new_total(page: str) -> int:
    found = re.search(r'data-testid="home-new-total" data-new="(\d+)"', page)
    return int(found.group(1)) if found else 0


@pytest.fixture
def owner(make_user):
    return make_user(Role.ENTERPRISE)


@pytest.fixture
def outputs(make_output):
    return [make_output() for _ in range(3)]


def test_the_owner_sees_new_matches_marked_once_and_the_home_badge_goes(
        app, db_session, sign_in, owner, make_need, outputs):
    need = make_need(owner=owner)
    settle_jobs(app, db_session)
    store_list(db_session, need, outputs[:2])
    client = sign_in(owner)
    home = text_of(client.get("/"))
    assert home_rows(home) == [(need.id, 2)] and new_total(home) == 2
    assert f'data-testid="home-new-badge" href="/needs/{need.id}#matches-title"' in home
    page = text_of(client.get(f"/needs/{need.id}"))
    assert new_marks(page) == [outputs[0].id, outputs[1].id]
    assert page.count('data-testid="match-new-badge"') == 2
    assert 'data-testid="new-matches-note"' in page
    again = text_of(client.get(f"/needs/{need.id}"))
    assert new_marks(again) == [] and 'data-testid="new-matches-note"' not in again
    home = text_of(client.get("/"))
    assert home_rows(home) == [(need.id, 0)] and new_total(home) == 0
    assert 'data-testid="home-new-badge"' not in home


def test_a_refresh_that_adds_a_match_shows_only_that_one_as_new(
        app, db_session, sign_in, owner, make_need, outputs):
    need = make_need(owner=owner)
    settle_jobs(app, db_session)
    store_list(db_session, need, outputs[:2])
    client = sign_in(owner)
    client.get(f"/needs/{need.id}")
    store_list(db_session, need, [outputs[0], outputs[2], outputs[1]])
    assert home_rows(text_of(client.get("/"))) == [(need.id, 1)]
    assert new_marks(text_of(client.get(f"/needs/{need.id}"))) == [outputs[2].id]


@pytest.mark.parametrize("role", [Role.BROKER, Role.ADMIN])
def test_a_broker_or_operator_opening_the_page_leaves_the_owners_new_alone(
        app, db_session, sign_in, make_user, owner, make_need, outputs, role):
    need = make_need(owner=owner)
    settle_jobs(app, db_session)
    store_list(db_session, need, outputs[:2])
    page = text_of(sign_in(make_user(role)).get(f"/needs/{need.id}"))
    assert len(re.findall(r'data-testid="match" ', page)) == 2 and new_marks(page) == []
    assert home_rows(text_of(sign_in(owner).get("/"))) == [(need.id, 2)]


def test_home_lists_listings_with_new_matches_first_and_totals_them(
        app, db_session, sign_in, owner, make_need, outputs):
    quiet, one_new, unmatched, two_new = (make_need(owner=owner) for _ in range(4))
    settle_jobs(app, db_session)
    store_list(db_session, quiet, outputs[:1])
    seen.mark_matches_seen(db_session, owner, quiet, [outputs[0].id])
    store_list(db_session, one_new, outputs[:2])
    seen.mark_matches_seen(db_session, owner, one_new, [outputs[0].id])
    store_list(db_session, unmatched, [])
    store_list(db_session, two_new, outputs[1:])
    home = text_of(sign_in(owner).get("/"))
    rows = home_rows(home)
    assert set(rows[:2]) == {(one_new.id, 1), (two_new.id, 2)}
    assert set(rows[2:]) == {(quiet.id, 0), (unmatched.id, 0)}
    assert new_total(home) == 3
    badges = re.findall(r'data-testid="home-new-badge" href="/needs/(\d+)#matches-title"', home)
    assert sorted(int(b) for b in badges) == sorted([one_new.id, two_new.id])


def test_an_institution_home_counts_the_needs_new_to_its_outputs(
        app, db_session, sign_in, make_user, make_output, make_need):
    member = make_user(Role.INSTITUTION)
    output = make_output(owner=member)
    needs = [make_need(), make_need()]
    settle_jobs(app, db_session)
    store_list(db_session, output, needs)
    client = sign_in(member)
    assert home_rows(text_of(client.get("/"))) == [(output.id, 2)]
    assert new_marks(text_of(client.get(f"/outputs/{output.id}"))) == [n.id for n in needs]
    assert home_rows(text_of(client.get("/"))) == [(output.id, 0)]


def test_home_splits_introduction_requests_into_waiting_and_decided(
        app, db_session, sign_in, owner, make_need, outputs):
    need = make_need(owner=owner)
    asked = [pipeline.ask_introduction(db_session, need=need, output=o, actor=owner,
                                       message="请介绍") for o in outputs]
    pipeline.decline_introduction(db_session, asked[1], actor=asked[1].broker,
                                  note="对方暂不转让")
    deal = pipeline.accept_introduction(db_session, asked[2], actor=asked[2].broker,
                                        next_step="安排会谈", next_step_due=clock.today())
    settle_jobs(app, db_session)
    home = text_of(sign_in(owner).get("/"))
    waiting = home.split('data-testid="home-introductions-waiting"')[1].split("</ul>")[0]
    decided = home.split('data-testid="home-introductions-decided"')[1].split("</ul>")[0]
    assert re.findall(r'data-request="(\d+)"', waiting) == [str(asked[0].id)]
    assert sorted(re.findall(r'data-request="(\d+)"', decided)) == sorted(
        [str(asked[1].id), str(asked[2].id)])
    assert "对方暂不转让" in decided and f"/deals/{deal.id}" in decided
    assert f'data-request="{asked[1].id}" data-status="declined"' in decided


def test_the_home_page_reads_every_listings_counts_in_one_query(
        app, db_session, sign_in, owner, make_need, outputs):
    """The new counts of an owner's listings are one grouped query, not one per listing: the
    home page runs as many statements for four listings as for one."""
    engine = db_session.get_bind().engine

    def home_statements(client) -> tuple[str, list[str]]:
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            page = text_of(client.get("/"))
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return page, statements

    def add_listings(n: int) -> None:
        needs = [make_need(owner=owner) for _ in range(n)]
        settle_jobs(app, db_session)
        for need in needs:
            store_list(db_session, need, outputs[:2])

    add_listings(1)
    client = sign_in(owner)
    client.get("/")  # the first page after signing in may do more (the session's bookkeeping)
    page, one = home_statements(client)
    assert len(home_rows(page)) == 1 and new_total(page) == 2
    add_listings(3)
    page, four = home_statements(client)
    assert len(home_rows(page)) == 4 and new_total(page) == 8
    assert len(four) == len(one)
    assert sum(1 for s in four if "seen_matches" in s) == 1
