"""Which matches are new to a listing's owners (recommendations.seen): new after a refresh
adds a match, seen once shown, still seen after refreshes that keep it, per user, and only for
the listing's own organisation."""
import pytest
from sqlalchemy import func, select

from matchmaker import permissions
from matchmaker.domain import Role
from matchmaker.errors import PermissionDeniedError
from matchmaker.profiles import services as profiles
from matchmaker.recommendations import seen
from matchmaker.recommendations.models import SeenMatch
from tests.recommendations.conftest import store_list


@pytest.fixture
def owner(make_user):
    return make_user(Role.ENTERPRISE)


@pytest.fixture
def need(make_need, owner):
    return make_need(owner=owner)


@pytest.fixture
def outputs(make_output):
    return [make_output() for _ in range(3)]


def new_count(session, user, listing) -> int:
    return seen.count_new_matches(session, user, [listing])[listing.id]


def counts(session, user, listing) -> tuple[int, int]:
    """Return (matches shown, new to user) for listing."""
    model = seen.MODELS[listing.side]
    row = session.execute(seen.match_counts_query(
        user, listing.side, select(model.id).where(model.id == listing.id))).one_or_none()
    return (row.matches, row.new) if row else (0, 0)


def test_every_match_is_new_until_shown_then_seen(db_session, owner, need, outputs):
    store_list(db_session, need, outputs[:2])
    assert counts(db_session, owner, need) == (2, 2)
    marked = seen.mark_matches_seen(db_session, owner, need, [o.id for o in outputs[:2]])
    assert marked == {outputs[0].id, outputs[1].id}
    assert counts(db_session, owner, need) == (2, 0)


def test_a_match_a_refresh_adds_is_new_and_the_ones_it_keeps_stay_seen(db_session, owner, need,
                                                                       outputs):
    store_list(db_session, need, outputs[:2])
    seen.mark_matches_seen(db_session, owner, need, [o.id for o in outputs[:2]])
    store_list(db_session, need, [outputs[2], outputs[1], outputs[0]])  # the new one on top
    assert counts(db_session, owner, need) == (3, 1)
    assert seen.unseen_candidates(db_session, owner, need, [o.id for o in outputs]) == {
        outputs[2].id}


def test_a_refresh_that_keeps_the_list_leaves_nothing_new(db_session, owner, need, outputs):
    store_list(db_session, need, outputs)
    seen.mark_matches_seen(db_session, owner, need, [o.id for o in outputs])
    for _ in range(2):  # each refresh writes the set's rows anew
        store_list(db_session, need, list(reversed(outputs)))
        assert new_count(db_session, owner, need) == 0


def test_a_match_that_drops_out_and_comes_back_is_not_new_again(db_session, owner, need,
                                                                outputs):
    """The owner has been shown that counterpart already (the decision in seen's docstring)."""
    store_list(db_session, need, outputs[:2])
    seen.mark_matches_seen(db_session, owner, need, [o.id for o in outputs[:2]])
    store_list(db_session, need, outputs[1:2])
    store_list(db_session, need, outputs[:2])
    assert counts(db_session, owner, need) == (2, 0)


def test_brokers_and_operators_are_not_followed_and_leave_the_owners_new_alone(
        db_session, make_broker, make_user, owner, need, outputs):
    store_list(db_session, need, outputs[:2])
    for outsider in (make_broker(), make_user(Role.ADMIN), permissions.SYSTEM):
        with pytest.raises(PermissionDeniedError):
            seen.mark_matches_seen(db_session, outsider, need, [outputs[0].id])
    assert new_count(db_session, owner, need) == 2
    assert db_session.scalar(select(func.count()).select_from(SeenMatch).where(
        SeenMatch.need_id == need.id)) == 0


def test_each_member_of_the_organisation_has_their_own_new(db_session, make_user, owner, need,
                                                           outputs):
    colleague = make_user(Role.ENTERPRISE, organisation=owner.enterprise)
    store_list(db_session, need, outputs[:2])
    seen.mark_matches_seen(db_session, owner, need, [outputs[0].id])
    assert new_count(db_session, owner, need) == 1
    assert new_count(db_session, colleague, need) == 2
    seen.mark_matches_seen(db_session, colleague, need, [o.id for o in outputs[:2]])
    assert (new_count(db_session, owner, need), new_count(db_session, colleague, need)) == (1, 0)


def test_marking_again_or_at_the_same_moment_as_another_tab_records_each_pair_once(
        db_session, owner, need, outputs, monkeypatch):
    store_list(db_session, need, outputs[:2])
    ids = [o.id for o in outputs[:2]]
    seen.mark_matches_seen(db_session, owner, need, ids)
    assert seen.mark_matches_seen(db_session, owner, need, ids) == set()
    # Another tab inserted the rows between this request's check and its insert.
    monkeypatch.setattr(seen, "unseen_candidates", lambda *args: set(ids))
    seen.mark_matches_seen(db_session, owner, need, ids)
    assert db_session.scalar(select(func.count()).select_from(SeenMatch).where(
        SeenMatch.user_id == owner.id)) == 2


def test_counts_are_of_what_the_page_shows(db_session, owner, need, outputs):
    """Counterparts that left the market are not shown, so not counted; nor are the matches of
    a listing that is no longer published."""
    store_list(db_session, need, outputs)
    profiles.move_output_to(db_session, outputs[0], "withdrawn", editor=permissions.SYSTEM)
    assert counts(db_session, owner, need) == (2, 2)
    profiles.move_need_to(db_session, need, "closed", editor=owner)
    assert counts(db_session, owner, need) == (0, 0)


def test_an_institution_follows_the_needs_matched_to_its_outputs(db_session, make_user,
                                                                 make_output, make_need):
    member = make_user(Role.INSTITUTION)
    output = make_output(owner=member)
    needs = [make_need(), make_need()]
    store_list(db_session, output, needs)
    assert counts(db_session, member, output) == (2, 2)
    assert seen.mark_matches_seen(db_session, member, output, [needs[1].id]) == {needs[1].id}
    row = db_session.scalar(select(SeenMatch).where(SeenMatch.user_id == member.id))
    assert (row.side, row.need_id, row.output_id) == ("output", needs[1].id, output.id)
    assert counts(db_session, member, output) == (2, 1)
