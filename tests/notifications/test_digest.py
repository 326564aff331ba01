"""The weekly digest of new matches for listing owners, on a fixed clock: what it lists
(new, good matches as the pages list them, not told before), to whom, once a week, and by
e-mail."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from matchmaker.domain import Role
from matchmaker.jobs import enqueue, run_queued
from matchmaker.matching import Match, Ranking, calibration
from matchmaker.notifications import digest, rules, services
from matchmaker.notifications.models import DigestedMatch, Notification
from matchmaker.notifications.rules import DigestLine, Kind
from matchmaker.pipeline import clock
from matchmaker.recommendations import seen, store
from matchmaker.recommendations.services import match_quality
from tests.recommendations.conftest import settle_jobs

MONDAY = date(2026, 12, 14)  # ISO week 2026-W51
# 09:00 on MONDAY in China (the job's cron time): 01:00 UTC.
MONDAY_MORNING = datetime(2026, 12, 14, 1, 0, tzinfo=UTC)
NEXT_MONDAY = MONDAY + timedelta(days=7)


def store_scores(session, listing, scored) -> None:
    """Store listing's current list as a refresh does: (candidate, score) in rank order."""
    generation = store.current_generation(session)
    ranking = Ranking(listing.id, tuple(Match(c.id, score, {"text": score})
                                        for c, score in scored))
    store.write_sets(session, generation.id, listing.side, [(ranking, listing.version)],
                     limit=10, floor=0.05)


def quality(scores: list[float], rank: int) -> float:
    """The match quality of the candidate at rank (1 = best) of a list of raw scores."""
    return match_quality(scores[rank - 1], scores[0], rank)


def pct(scores: list[float], rank: int) -> int:
    """The quality as pages and the digest show it (1–99 %)."""
    return calibration.percent(quality(scores, rank))


def digests(session, user) -> list[Notification]:
    return list(session.scalars(select(Notification).where(
        Notification.recipient_id == user.id, Notification.kind == Kind.NEW_MATCHES_DIGEST)
        .order_by(Notification.id)))


def digested(session, user) -> set[tuple[int, int]]:
    return {tuple(row) for row in session.execute(
        select(DigestedMatch.need_id, DigestedMatch.output_id)
        .where(DigestedMatch.user_id == user.id))}


@pytest.fixture(autouse=True)
def floor(app, monkeypatch):
    """The pages' floor (the default 0.3): a good match reaches it."""
    monkeypatch.setitem(app.config, "MATCH_FLOOR", 0.3)
    monkeypatch.setitem(app.config, "MATCH_LIMIT", 10)


@pytest.fixture
def run(app, db_session):
    """Return run(day): the digests of day's week, in the app (its settings)."""
    def run_on(day: date) -> dict:
        with app.app_context():
            return digest.send_digests(db_session, today=day)
    return run_on


@pytest.fixture
def owner(make_user):
    return make_user(Role.ENTERPRISE)


@pytest.fixture
def needs(app, db_session, make_need, owner):
    return [make_need(owner=owner, title=f"Bipolar plate coating {n}") for n in range(2)]


@pytest.fixture
def outputs(app, db_session, make_output, needs):
    made = [make_output() for _ in range(4)]
    settle_jobs(app, db_session)  # the factories' match refresh must not replace our lists
    for need in needs:  # each test stores the lists it needs, the others stay empty
        store_scores(db_session, need, [])
    return made


def test_the_job_sends_one_digest_a_week_even_when_it_runs_twice(app, db_session, owner, needs,
                                                                 outputs):
    need = needs[0]
    raw = [0.8, 0.5, 0.1]
    assert quality(raw, 2) >= 0.3 > quality(raw, 3)  # the third is below the floor
    store_scores(db_session, need, list(zip(outputs, raw)))
    with app.app_context(), clock.at(MONDAY_MORNING):
        for _ in range(2):
            enqueue(db_session, "notifications.digest")
            db_session.commit()
            run_queued(db_session)
    [row] = digests(db_session, owner)
    assert row.dedupe_key == f"new_matches_digest:2026-W51:u{owner.id}"
    assert row.params == {"count": 2, "listings": 1, "threshold": 30, "best": need.title,
                          "best_score": pct(raw, 1)}
    assert (row.link_endpoint, row.link_args) == ("needs.detail", {"item_id": need.id})
    assert digested(db_session, owner) == {(need.id, outputs[0].id), (need.id, outputs[1].id)}
    with app.app_context():
        assert services.link_of(row) == f"/needs/{need.id}"


def test_the_next_week_brings_only_the_matches_new_since_the_last_digest(run, db_session, owner,
                                                                        needs, outputs):
    store_scores(db_session, needs[0], [(outputs[0], 0.8), (outputs[1], 0.5)])
    run(MONDAY)
    # A refresh rewrites both lists: the first keeps its matches, the second gains one.
    store_scores(db_session, needs[0], [(outputs[1], 0.9), (outputs[0], 0.8)])
    store_scores(db_session, needs[1], [(outputs[2], 0.6)])
    run(NEXT_MONDAY)
    first, second = digests(db_session, owner)
    assert first.params["count"] == 2
    assert second.dedupe_key == f"new_matches_digest:2026-W52:u{owner.id}"
    assert second.params == {"count": 1, "listings": 1, "threshold": 30,
                             "best": needs[1].title, "best_score": pct([0.6], 1)}
    assert second.link_args == {"item_id": needs[1].id}
    run(NEXT_MONDAY + timedelta(days=7))  # nothing new: no third digest
    assert len(digests(db_session, owner)) == 2


def test_matches_that_arrive_after_this_weeks_digest_wait_for_next_week(run, db_session, owner,
                                                                       needs, outputs):
    """A late second run in the same week records nothing: the new match is not marked as
    told in a message that never went out, and next week's digest brings it."""
    store_scores(db_session, needs[0], [(outputs[0], 0.8)])
    run(MONDAY)
    store_scores(db_session, needs[0], [(outputs[1], 0.9), (outputs[0], 0.8)])
    run(MONDAY + timedelta(days=2))  # Wednesday of the same week
    assert len(digests(db_session, owner)) == 1
    assert digested(db_session, owner) == {(needs[0].id, outputs[0].id)}
    run(NEXT_MONDAY)
    assert [d.params["count"] for d in digests(db_session, owner)] == [1, 1]
    assert digested(db_session, owner) == {(needs[0].id, outputs[0].id),
                                           (needs[0].id, outputs[1].id)}


def test_matches_below_the_floor_are_left_out_and_alone_send_nothing(app, run, db_session,
                                                                    owner, needs, outputs,
                                                                    monkeypatch):
    """The digest tells only good matches (match quality at least MATCH_FLOOR), whatever
    their raw score: the matches the listing's page lists. The floor is set between the
    qualities the shipped calibration gives, so the test holds when it is refitted."""
    alone, later = [0.25, 0.1], [0.3, 0.25, 0.1]
    below = max(quality(alone, 1), quality(later, 2))
    assert quality(later, 1) > below
    monkeypatch.setitem(app.config, "MATCH_FLOOR", (below + quality(later, 1)) / 2)
    store_scores(db_session, needs[0], [(outputs[0], 0.25), (outputs[1], 0.1)])
    run(MONDAY)
    assert digests(db_session, owner) == [] and digested(db_session, owner) == set()
    store_scores(db_session, needs[0], [(outputs[2], 0.3), (outputs[0], 0.25),
                                        (outputs[1], 0.1)])
    run(NEXT_MONDAY)
    [row] = digests(db_session, owner)
    assert row.params["count"] == 1
    assert digested(db_session, owner) == {(needs[0].id, outputs[2].id)}


def test_the_threshold_is_the_pages_floor(app, run, db_session, owner, needs, outputs,
                                          monkeypatch):
    raw = [0.8, 0.3]
    floor = (quality(raw, 1) + quality(raw, 2)) / 2
    monkeypatch.setitem(app.config, "MATCH_FLOOR", floor)
    store_scores(db_session, needs[0], [(outputs[0], 0.8), (outputs[1], 0.3)])
    run(MONDAY)
    [row] = digests(db_session, owner)
    assert (row.params["count"], row.params["threshold"]) == (1, round(floor * 100))
    assert digested(db_session, owner) == {(needs[0].id, outputs[0].id)}


def test_the_lines_go_by_match_quality_not_raw_score(run, db_session, owner, needs, outputs):
    """Raw scores compared across lists put needs[0]'s second candidate (0.29) before
    needs[1]'s first (0.285); its quality, second in a list whose best is 0.3, is lower."""
    first, second = [0.3, 0.29], [0.285]
    assert quality(first, 2) < quality(second, 1)
    store_scores(db_session, needs[0], [(outputs[0], 0.3), (outputs[1], 0.29)])
    store_scores(db_session, needs[1], [(outputs[2], 0.285)])
    lines = digest.list_digest_matches(db_session, owner, floor=0.3)
    assert [(line.need_id, line.output_id) for line in lines] == [
        (needs[0].id, outputs[0].id), (needs[1].id, outputs[2].id),
        (needs[0].id, outputs[1].id)]
    assert [line.quality for line in lines] == [quality(first, 1), quality(second, 1),
                                                quality(first, 2)]


def test_matches_the_owner_has_been_shown_are_left_out(run, db_session, owner, needs, outputs):
    store_scores(db_session, needs[0], [(outputs[0], 0.8), (outputs[1], 0.5)])
    store_scores(db_session, needs[1], [(outputs[2], 0.7)])
    seen.mark_matches_seen(db_session, owner, needs[0], [outputs[0].id])
    seen.mark_matches_seen(db_session, owner, needs[1], [outputs[2].id])
    run(MONDAY)
    [row] = digests(db_session, owner)
    assert (row.params["count"], row.params["listings"], row.params["best"]) == (
        1, 1, needs[0].title)
    assert digested(db_session, owner) == {(needs[0].id, outputs[1].id)}


def test_only_the_first_match_limit_of_a_list_count(app, run, db_session, owner, needs, outputs,
                                                    monkeypatch):
    """A match ranked below what the page shows is not new to anyone yet."""
    monkeypatch.setitem(app.config, "MATCH_LIMIT", 1)
    store_scores(db_session, needs[0], [(outputs[0], 0.8), (outputs[1], 0.7)])
    run(MONDAY)
    assert digested(db_session, owner) == {(needs[0].id, outputs[0].id)}


def test_a_counterpart_off_the_market_is_left_out(run, db_session, owner, needs, outputs):
    from matchmaker.profiles import services as profiles

    store_scores(db_session, needs[0], [(outputs[0], 0.8), (outputs[1], 0.5)])
    profiles.apply_deal_status(db_session, outputs[0], "under_negotiation", deal_id=None)
    profiles.apply_deal_status(db_session, outputs[0], "transferred", deal_id=None)
    run(MONDAY)
    assert digested(db_session, owner) == {(needs[0].id, outputs[1].id)}


def test_a_muted_digest_sends_and_records_nothing(run, db_session, owner, needs, outputs):
    services.save_choices(db_session, owner, {
        Kind.NEW_MATCHES_DIGEST: services.Choice(email=True, muted=True)})
    store_scores(db_session, needs[0], [(outputs[0], 0.8)])
    run(MONDAY)
    assert digests(db_session, owner) == [] and digested(db_session, owner) == set()


def test_each_member_gets_their_own_and_other_organisations_nothing_of_it(
        run, db_session, make_user, make_output, owner, needs, outputs):
    colleague = make_user(Role.ENTERPRISE, organisation=owner.enterprise)
    stranger = make_user(Role.ENTERPRISE)  # another enterprise, no listings
    store_scores(db_session, needs[0], [(outputs[0], 0.8), (outputs[1], 0.5)])
    seen.mark_matches_seen(db_session, colleague, needs[0], [outputs[0].id])
    run(MONDAY)
    assert digests(db_session, stranger) == [] and digested(db_session, stranger) == set()
    assert [d.params["count"] for d in digests(db_session, owner)] == [2]
    assert [d.params["count"] for d in digests(db_session, colleague)] == [1]


def test_an_institution_is_told_about_its_outputs_matches(app, run, db_session, make_user,
                                                          make_output, make_need, outputs):
    researcher = make_user(Role.INSTITUTION)
    output = make_output(owner=researcher)
    wanted = [make_need() for _ in range(2)]
    settle_jobs(app, db_session)
    store_scores(db_session, output, [(wanted[1], 0.7), (wanted[0], 0.4)])
    for need in wanted:
        store_scores(db_session, need, [])
    run(MONDAY)
    [row] = digests(db_session, researcher)
    assert (row.link_endpoint, row.link_args) == ("outputs.detail", {"item_id": output.id})
    assert (row.params["count"], row.params["best_score"]) == (2, pct([0.7], 1))
    assert digested(db_session, researcher) == {(wanted[0].id, output.id),
                                                (wanted[1].id, output.id)}


def test_the_digest_is_emailed_in_the_owners_language(app, db_session, smtp, owner, needs,
                                                      outputs):
    owner.locale = "en"
    store_scores(db_session, needs[0], [(outputs[0], 0.8), (outputs[1], 0.5)])
    store_scores(db_session, needs[1], [(outputs[2], 0.4)])
    with app.app_context(), clock.at(MONDAY_MORNING):
        enqueue(db_session, "notifications.digest")
        db_session.commit()
        run_queued(db_session)
    [received] = smtp.to(owner.email)
    assert "New matches this week: 3 of match quality 30% or more" in received["subject"]
    assert (f"New matches this week: 3 of match quality 30% or more, for 2 of your listings. "
            f"The best is for “{needs[0].title}”.") in received["body"]
    assert f"http://matchmaker.test/needs/{needs[0].id}" in received["body"]
    assert digests(db_session, owner)[0].emailed_at is not None


def test_the_digest_job_is_scheduled_on_monday_mornings():
    from matchmaker.jobs import TASKS

    assert TASKS["notifications.digest"].cron == "0 1 * * 1"


def test_the_digest_is_on_both_owner_roles_preferences_and_emailed_by_default():
    from matchmaker.notifications import kinds

    for role in (Role.INSTITUTION, Role.ENTERPRISE):
        assert Kind.NEW_MATCHES_DIGEST in kinds.kinds_for_role(role)
    assert Kind.NEW_MATCHES_DIGEST not in kinds.kinds_for_role(Role.BROKER)
    assert services.default_choice(Kind.NEW_MATCHES_DIGEST) == services.Choice(True, False, True)
    assert rules.may_mute(Kind.NEW_MATCHES_DIGEST)


# --- the pure parts (rules.py) ------------------------------------------------------------------

def test_the_digest_key_names_the_iso_week_across_a_year_end():
    assert rules.digest_key(MONDAY, 7) == "new_matches_digest:2026-W51:u7"
    assert rules.digest_key(MONDAY + timedelta(days=6), 7) == rules.digest_key(MONDAY, 7)
    # 2026 has 53 ISO weeks: New Year's Day 2027 (a Friday) is still in 2026-W53.
    assert rules.digest_key(date(2027, 1, 1), 7) == "new_matches_digest:2026-W53:u7"
    assert rules.digest_key(date(2027, 1, 4), 7) == "new_matches_digest:2027-W01:u7"


def test_the_summary_counts_listings_and_names_the_best_with_ties_to_the_lowest_id():
    lines = [DigestLine(5, "B", 5, 1, 0.7), DigestLine(3, "A", 3, 2, 0.7),
             DigestLine(3, "A", 3, 9, 0.4)]
    summary = rules.summarise_digest(lines)
    assert (summary.count, summary.listings, summary.best.listing_title) == (3, 2, "A")
    assert rules.summarise_digest([]) is None
