"""Match quality on listing pages: the calibrated score, the floor, "only N good matches",
weaker candidates on request, and deal marks on match cards (who sees which)."""
import re

import pytest

from matchmaker.domain import Role, Side
from matchmaker.matching import calibration
from matchmaker.pipeline import marks
from matchmaker.recommendations import services
from tests.conftest import recorded_statements
from tests.recommendations.conftest import candidates, scores

BROKER = "broker-zhangmin"
OWNER = "h2-ent-02"  # the enterprise of the seed need h2-n-001


def _qualities(db_session, need) -> list[float]:
    found = services.list_matches(db_session, Side.NEED, need, limit=10)
    return [rec.quality for rec in found.items]


def _floor_between(qualities: list[float], keep: int) -> float:
    """A floor that keeps exactly the first keep candidates."""
    return (qualities[keep - 1] + qualities[keep]) / 2


def _english(client):
    with client.session_transaction() as session:
        session["locale"] = "en"
    return client


# --- the quality ------------------------------------------------------------------------------

def test_list_matches_reports_the_calibrated_quality_of_each_stored_match(db_session, need):
    found = services.list_matches(db_session, Side.NEED, need, limit=10)
    best = found.items[0].match.score
    assert len(found.items) == 10
    for rank, rec in enumerate(found.items, start=1):
        assert rec.rank == rank
        assert rec.quality == calibration.default().predict(rec.match.score, best, rank)
    assert [r.quality for r in found.items] == sorted((r.quality for r in found.items),
                                                      reverse=True)


def test_page_shows_the_quality_as_the_match_score(login_as, db_session, need):
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    expected = [min(99, max(1, round(q * 100))) for q in _qualities(db_session, need)]
    assert scores(html) == expected
    raw = [float(s) for s in re.findall(r'data-raw-score="([\d.]+)"', html)]
    assert raw and raw == sorted(raw, reverse=True)


# --- the floor ----------------------------------------------------------------------------

def test_floor_hides_the_weaker_candidates(app, db_session, need, monkeypatch):
    qualities = _qualities(db_session, need)
    floor = _floor_between(qualities, 3)
    found = services.list_matches(db_session, Side.NEED, need, limit=10, floor=floor)
    assert [r.quality for r in found.items] == qualities[:3]
    assert (found.good, found.weaker) == (3, 7)
    every = services.list_matches(db_session, Side.NEED, need, limit=10, floor=floor,
                                  weaker=True)
    assert [r.is_weak for r in every.items] == [False] * 3 + [True] * 7


def test_page_says_only_n_good_matches_in_chinese(app, login_as, db_session, need, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_FLOOR", _floor_between(_qualities(db_session, need), 3))
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert len(candidates(html)) == 3
    assert 'data-testid="good-count" data-good="3"' in html
    assert "仅有 3 条较好匹配" in html
    assert "显示另外 7 个较弱的候选" in html


def test_page_says_only_n_good_matches_in_english(app, login_as, db_session, need,
                                                  monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_FLOOR", _floor_between(_qualities(db_session, need), 2))
    html = _english(login_as(BROKER)).get(f"/needs/{need.id}").get_data(as_text=True)
    assert len(candidates(html)) == 2
    assert "Only 2 good matches." in html
    assert "Show 8 weaker candidates" in html


def test_weaker_candidates_follow_on_request_marked_below_the_floor(app, login_as, db_session,
                                                                   need, monkeypatch):
    qualities = _qualities(db_session, need)
    monkeypatch.setitem(app.config, "MATCH_FLOOR", _floor_between(qualities, 4))
    html = _english(login_as(BROKER)).get(f"/needs/{need.id}?weaker=1").get_data(as_text=True)
    assert len(candidates(html)) == 10
    assert html.count('data-weak="1"') == 6
    assert html.count('data-testid="weaker-divider"') == 1
    assert 'data-testid="hide-weaker"' in html
    # The weak cards were drawn once with the mark "below the floor": the card cache must not
    # give them to a page that shows them as good (floor lowered).
    monkeypatch.setitem(app.config, "MATCH_FLOOR", 0.0)
    html = _english(login_as(BROKER)).get(f"/needs/{need.id}?weaker=1").get_data(as_text=True)
    assert 'data-weak="1"' not in html and 'data-testid="weak-match"' not in html


def test_no_good_match_gives_a_clear_empty_state(app, login_as, need, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_FLOOR", 1.01)
    html = _english(login_as(BROKER)).get(f"/needs/{need.id}").get_data(as_text=True)
    assert candidates(html) == []
    assert 'data-testid="no-good-matches"' in html
    assert "none of the candidates found reaches the quality floor" in html
    assert "Show 10 weaker candidates" in html


def test_a_full_list_above_the_floor_says_nothing_about_good_matches(app, login_as, need,
                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_FLOOR", 0.0)
    html = login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert len(candidates(html)) == 10 and 'data-testid="good-count"' not in html


# --- deal marks -----------------------------------------------------------------------------

def _marks(html: str) -> dict[int, str]:
    """Return candidate id -> the deal mark on its card."""
    found = {}
    for card in re.split(r'(?=<li class="card)', html):
        candidate = re.search(r'data-candidate="(\d+)"', card)
        mark = re.search(r'data-testid="deal-mark" data-mark="(\w+)"', card)
        if candidate and mark:
            found[int(candidate.group(1))] = mark.group(1)
    return found


@pytest.fixture
def pair_deal(db_session, make_deal, make_user, need):
    """An open deal on the need and its second candidate, owned by a new broker."""
    second = services.list_matches(db_session, Side.NEED, need, limit=10).items[1].item
    owner = make_user(Role.BROKER)
    deal = make_deal(owner=owner, output=second, need=need, stage_key="negotiating")
    return deal


def test_the_deal_broker_sees_in_negotiation_with_its_stage(sign_in, pair_deal):
    client = _english(sign_in(pair_deal.owner))
    html = client.get(f"/needs/{pair_deal.need_id}").get_data(as_text=True)
    assert _marks(html)[pair_deal.output_id] == marks.IN_NEGOTIATION
    assert f"In negotiation · {pair_deal.stage.name_en}" in html
    assert f'href="/deals/{pair_deal.id}" data-testid="deal-mark-link"' in html


def test_the_needs_enterprise_sees_the_deal_it_is_party_to(login_as, pair_deal):
    found = _marks(login_as(OWNER).get(f"/needs/{pair_deal.need_id}").get_data(as_text=True))
    assert found[pair_deal.output_id] == marks.IN_NEGOTIATION
    # Parties see the deals on their own listing with stage; never another broker's neutral
    # mark nor deals of the candidates elsewhere.
    assert set(found.values()) <= {marks.IN_NEGOTIATION, marks.UNDER_CONTRACT}


def test_another_broker_sees_only_a_neutral_mark(login_as, pair_deal):
    html = login_as(BROKER).get(f"/needs/{pair_deal.need_id}").get_data(as_text=True)
    assert _marks(html)[pair_deal.output_id] == marks.IN_TALKS
    assert f'href="/deals/{pair_deal.id}"' not in html


def test_marks_are_drawn_per_viewer_not_cached_with_the_card(sign_in, login_as, pair_deal):
    # Same process, same cards: the deal's broker, another broker, the deal's broker again.
    need_url, pair = f"/needs/{pair_deal.need_id}", pair_deal.output_id
    assert _marks(sign_in(pair_deal.owner).get(need_url).get_data(as_text=True))[pair] == \
        marks.IN_NEGOTIATION
    assert _marks(login_as(BROKER).get(need_url).get_data(as_text=True))[pair] == \
        marks.IN_TALKS
    assert _marks(sign_in(pair_deal.owner).get(need_url).get_data(as_text=True))[pair] == \
        marks.IN_NEGOTIATION


def test_a_deal_of_the_candidate_elsewhere_is_shown_to_brokers_only(
        db_session, sign_in, login_as, make_deal, make_user, make_need, need):
    third = services.list_matches(db_session, Side.NEED, need, limit=10).items[2].item
    owner = make_user(Role.BROKER)
    other_need = make_need(owner=make_user(Role.ENTERPRISE))
    deal = make_deal(owner=owner, output=third, need=other_need)
    assert deal.is_open
    assert _marks(sign_in(owner).get(f"/needs/{need.id}").get_data(as_text=True))[third.id] \
        == marks.ELSEWHERE
    assert _marks(login_as(BROKER).get(f"/needs/{need.id}").get_data(as_text=True))[
        third.id] == marks.ELSEWHERE_NEUTRAL
    # The need's enterprise is not told that the output negotiates with someone else.
    html = login_as(OWNER).get(f"/needs/{need.id}").get_data(as_text=True)
    assert third.id in candidates(html) and third.id not in _marks(html)


def _statements_of(db_session, call) -> list[str]:
    with recorded_statements(db_session) as statements:
        call()
    return statements


def test_the_marks_read_deals_with_their_stage_only_then_their_listings_in_bulk(
        db_session, need, make_deal, make_user):
    """The deals around a listing are read for its cards' marks on every listing page: without
    a deal's owner, chain and the listings' own joins (a dozen joins PostgreSQL planned on every
    view, measured in bench/README.md, "Runtime"); the deals' listings, which the marks need to
    tell who may see a deal, come in bulk, not per deal."""
    need_id, enterprise_id = need.id, need.enterprise_id

    def around():
        db_session.expire_all()
        found = []
        statements = _statements_of(db_session, lambda: found.extend(
            marks.open_deals_around(db_session, Side.NEED, need_id)))
        return found, statements

    before, statements = around()
    deals = statements[0]
    assert deals.startswith("SELECT deals.id")
    assert " users " not in deals and "chains" not in deals
    assert deals.count(" JOIN ") <= 3  # the stage, and the candidates' current match set

    second = services.list_matches(db_session, Side.NEED, need, limit=10).items[1].item
    deal = make_deal(owner=make_user(Role.BROKER), output=second, need=need)
    after, more = around()
    assert deal.id in {d.id for d in after} and len(after) == len(before) + 1
    assert len(more) == len(statements) or not before  # one more deal, no more statements
    loaded = " ".join(more)
    assert "FROM research_outputs" in loaded and "FROM tech_needs" in loaded
    expected = (deal.stage.key, second.institution_id, enterprise_id)
    read = []
    reads = _statements_of(db_session, lambda: read.extend(
        (d.stage.key, d.institution_id, d.enterprise_id) for d in after))
    assert reads == []  # what a mark reads of each deal is loaded already
    assert expected in read


class _Stage:
    def __init__(self, position):
        self.position = position


class _Deal:
    permission_kind = "deal"

    def __init__(self, position, *, owner_id=1, need_id=10, output_id=20):
        self.stage = _Stage(position)
        self.owner_id, self.need_id, self.output_id = owner_id, need_id, output_id
        self.co_broker_ids = set()
        self.institution_id = self.enterprise_id = None


class _Viewer:
    is_authenticated = is_active = True
    role = Role.BROKER
    id = 1
    institution_id = enterprise_id = None


@pytest.mark.parametrize(("position", "kind"), [(30, marks.IN_NEGOTIATION),
                                                (50, marks.UNDER_CONTRACT),
                                                (60, marks.UNDER_CONTRACT)])
def test_a_deal_from_contract_signed_on_is_under_contract(position, kind):
    mark = marks.mark_for(_Viewer(), [_Deal(position)], Side.NEED, 10, 20, signed=50)
    assert mark.kind == kind


def test_on_an_output_page_the_candidates_are_needs():
    viewer = _Viewer()
    deal = _Deal(30, need_id=10, output_id=20)
    assert marks.mark_for(viewer, [deal], Side.OUTPUT, 20, 10, signed=50).kind == \
        marks.IN_NEGOTIATION
    assert marks.mark_for(viewer, [deal], Side.OUTPUT, 20, 11, signed=50) is None


# --- "new matches" count only what the pages show --------------------------------------------

def test_the_sql_floor_agrees_with_the_quality_pages_compute(db_session, need):
    from sqlalchemy import select

    from matchmaker.recommendations import seen
    from matchmaker.recommendations.models import MatchSet, StoredMatch

    found = services.list_matches(db_session, Side.NEED, need, limit=10)
    for keep in (1, 4, 9):
        floor = _floor_between([r.quality for r in found.items], keep)
        kept = db_session.scalars(
            select(StoredMatch.output_id).join(MatchSet, MatchSet.id == StoredMatch.set_id)
            .where(MatchSet.id == db_session.scalar(select(StoredMatch.set_id).where(
                StoredMatch.need_id == need.id, StoredMatch.output_id == found.items[0].item.id,
                StoredMatch.rank == 1)), seen.quality_at_least(floor, 10))
            .order_by(StoredMatch.rank)).all()
        assert kept == [r.item.id for r in found.items[:keep]]


def test_the_sql_floor_agrees_at_a_floor_equal_to_a_shown_quality(db_session, need):
    """Pages compare the quality rounded to 4 decimals: a floor equal to a candidate's shown
    quality keeps it, in SQL too (the unrounded quality may be a hair below)."""
    from sqlalchemy import select

    from matchmaker.recommendations import seen
    from matchmaker.recommendations.models import StoredMatch

    found = services.list_matches(db_session, Side.NEED, need, limit=10)
    set_id = db_session.scalar(select(StoredMatch.set_id).where(
        StoredMatch.need_id == need.id, StoredMatch.rank == 1,
        StoredMatch.output_id == found.items[0].item.id))
    for keep in (2, 5, 10):
        floor = found.items[keep - 1].quality
        assert services.is_good_match(floor, floor=floor)
        listed = services.list_matches(db_session, Side.NEED, need, limit=10, floor=floor)
        kept = db_session.scalars(select(StoredMatch.output_id).where(
            StoredMatch.set_id == set_id, seen.quality_at_least(floor, 10))
            .order_by(StoredMatch.rank)).all()
        assert kept == [r.item.id for r in listed.items]
        assert len(kept) >= keep


def test_home_counts_only_new_matches_above_the_floor_and_they_clear(
        app, db_session, sign_in, make_user, make_need, make_output, monkeypatch):
    from matchmaker.matching import Match, Ranking
    from matchmaker.recommendations import store
    from tests.recommendations.conftest import settle_jobs
    from tests.recommendations.test_new_matches_pages import home_rows

    owner = make_user(Role.ENTERPRISE)
    need = make_need(owner=owner)
    outputs = [make_output() for _ in range(4)]
    settle_jobs(app, db_session)
    ranking = Ranking(need.id, tuple(Match(o.id, score, {"text": score}) for o, score in
                                     zip(outputs, (0.45, 0.4, 0.2, 0.12))))
    store.write_sets(db_session, store.current_generation(db_session).id, Side.NEED,
                     [(ranking, need.version)], limit=10, floor=0.05)
    qualities = _qualities(db_session, need)
    assert len(set(qualities)) == 4
    monkeypatch.setitem(app.config, "MATCH_FLOOR", _floor_between(qualities, 2))
    client = sign_in(owner)
    home = client.get("/").get_data(as_text=True)
    assert home_rows(home) == [(need.id, 2)], qualities
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert candidates(page) == [outputs[0].id, outputs[1].id]
    assert home_rows(client.get("/").get_data(as_text=True)) == [(need.id, 0)]
