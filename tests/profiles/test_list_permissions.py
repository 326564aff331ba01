"""The list queries and permissions.can agree: a list shows exactly what its viewer may view.

The lists keep their rule as SQL (a page counts and pages through it in the database); this
compares the two for every role, anonymous and inactive viewers included, over every status.
"""
import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from matchmaker import permissions
from matchmaker.domain import NeedStatus, OutputStatus, Role
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.profiles.services import ListFilters, list_needs_query, list_outputs_query

VIEWERS = ("anonymous", "nobody", "inactive", "institution", "other_institution", "enterprise",
           "other_enterprise", "broker", "admin")


@pytest.fixture
def world(make_user, make_broker, make_output, make_need):
    """Accounts of every role, and listings of two organisations in every status."""
    viewers = {
        "anonymous": AnonymousUserMixin(),
        "nobody": None,  # a job or a script
        "inactive": make_user(Role.INSTITUTION, status="disabled"),
        "institution": make_user(Role.INSTITUTION),
        "other_institution": make_user(Role.INSTITUTION),
        "enterprise": make_user(Role.ENTERPRISE),
        "other_enterprise": make_user(Role.ENTERPRISE),
        "broker": make_broker(),
        "admin": make_user(Role.ADMIN),
    }
    for owner in ("institution", "other_institution", "inactive"):
        for status in OutputStatus:
            make_output(institution=viewers[owner].institution, status=status)
    for owner in ("enterprise", "other_enterprise"):
        for status in NeedStatus:
            make_need(enterprise=viewers[owner].enterprise, status=status)
    return viewers


def _listed(db_session, query, viewer, **filters) -> set[int]:
    return {row.id for row in db_session.scalars(query(ListFilters(**filters), viewer=viewer))}


def _viewable(db_session, model, viewer) -> set[int]:
    return {row.id for row in db_session.scalars(select(model))
            if permissions.can(viewer, "view", row)}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("model, query", [(ResearchOutput, list_outputs_query),
                                          (TechNeed, list_needs_query)])
def test_a_list_holds_exactly_what_its_viewer_may_view(db_session, world, viewer, model,
                                                       query):
    expected = _viewable(db_session, model, world[viewer])
    assert _listed(db_session, query, world[viewer]) == expected
    if viewer in ("institution", "enterprise", "admin", "broker"):
        assert expected  # the comparison is not between two empty sets


@pytest.mark.parametrize("viewer", ["institution", "enterprise"])
def test_only_ours_lists_every_listing_of_the_viewers_organisation(db_session, world, viewer):
    user = world[viewer]
    if viewer == "institution":
        model, query, own = ResearchOutput, list_outputs_query, ResearchOutput.institution_id
        org_id, statuses = user.institution_id, set(OutputStatus)
    else:
        model, query, own = TechNeed, list_needs_query, TechNeed.enterprise_id
        org_id, statuses = user.enterprise_id, set(NeedStatus)
    ours = set(db_session.scalars(select(model.id).where(own == org_id)))
    assert len(ours) == len(statuses)  # drafts and withdrawn/closed ones included
    assert _listed(db_session, query, user, mine=True) == ours
    assert ours <= _viewable(db_session, model, user)
