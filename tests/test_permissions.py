"""The permissions module on plain objects: every rule, anonymous visitors included."""
from types import SimpleNamespace as NS

import pytest

from matchmaker import permissions
from matchmaker.domain import Role
from matchmaker.errors import NotFoundError, PermissionDeniedError


def user(role, *, id=1, institution_id=None, enterprise_id=None, active=True):
    return NS(is_authenticated=True, is_active=active, role=role, id=id,
              institution_id=institution_id, enterprise_id=enterprise_id)


ANON = NS(is_authenticated=False, is_active=False)
ADMIN = user(Role.ADMIN, id=9)
BROKER = user(Role.BROKER, id=5)
OTHER_BROKER = user(Role.BROKER, id=6)
INST = user(Role.INSTITUTION, id=2, institution_id=10)
OTHER_INST = user(Role.INSTITUTION, id=3, institution_id=11)
ENT = user(Role.ENTERPRISE, id=4, enterprise_id=20)


def output(status="published"):
    return NS(permission_kind="output", id=1, institution_id=10, status=status)


def need(status="published"):
    return NS(permission_kind="need", id=2, enterprise_id=20, status=status)


def deal(owner_id=5, co=()):
    return NS(permission_kind="deal", id=3, owner_id=owner_id, co_broker_ids=set(co),
              institution_id=10, enterprise_id=20)


@pytest.mark.parametrize("viewer, status, expected", [
    (ANON, "published", False),
    (None, "published", False),
    (ENT, "published", True),
    (ENT, "draft", False),
    (OTHER_INST, "draft", False),
    (INST, "draft", True),
    (ADMIN, "draft", True),
])
def test_output_view(viewer, status, expected):
    assert permissions.can(viewer, "view", output(status)) is expected


def test_inactive_user_counts_as_anonymous():
    assert not permissions.can(user(Role.INSTITUTION, institution_id=10, active=False),
                               "edit", output())


@pytest.mark.parametrize("viewer, expected", [
    (INST, True), (ADMIN, True), (OTHER_INST, False), (BROKER, False), (ENT, False),
    (ANON, False)])
def test_output_edit(viewer, expected):
    assert permissions.can(viewer, "edit", output()) is expected


@pytest.mark.parametrize("viewer, action, expected", [
    (BROKER, "see_matches", True), (ENT, "see_matches", True), (INST, "see_matches", False),
    (BROKER, "judge", True), (ADMIN, "judge", False), (ENT, "judge", True),
    (ENT, "ask_introduction", True), (BROKER, "ask_introduction", False),
    (ENT, "edit", True), (ANON, "see_matches", False),
    (ENT, "follow_matches", True), (BROKER, "follow_matches", False),
    (ADMIN, "follow_matches", False), (INST, "follow_matches", False),
    (user(Role.ENTERPRISE, id=8, enterprise_id=21), "follow_matches", False),
])
def test_need_actions(viewer, action, expected):
    assert permissions.can(viewer, action, need()) is expected


@pytest.mark.parametrize("viewer, action, expected", [
    (BROKER, "edit", True),                 # owner
    (OTHER_BROKER, "edit", False),
    (OTHER_BROKER, "view", False),
    (ADMIN, "edit", True),
    (INST, "view", True), (INST, "comment", True), (INST, "edit", False),
    (ENT, "view", True), (ENT, "edit", False),
    (OTHER_INST, "view", False),
    (ANON, "view", False),
])
def test_deal_rules(viewer, action, expected):
    assert permissions.can(viewer, action, deal()) is expected


def test_co_broker_edits_deal():
    assert permissions.can(OTHER_BROKER, "edit", deal(co=[6]))


def test_require_hides_what_cannot_be_seen_and_refuses_what_cannot_be_changed():
    with pytest.raises(NotFoundError):
        permissions.require(OTHER_BROKER, "edit", deal())
    with pytest.raises(PermissionDeniedError):
        permissions.require(INST, "edit", deal())
    permissions.require(BROKER, "edit", deal())


def test_public_party_pages_and_admin_only_jobs():
    org = NS(permission_kind="institution", id=10)
    assert permissions.can(ANON, "view", org)
    assert not permissions.can(ANON, "edit", org)
    assert permissions.can(INST, "edit", org)
    job = NS(permission_kind="job", id=1)
    assert permissions.can(ADMIN, "view", job) and not permissions.can(BROKER, "view", job)


@pytest.mark.parametrize("viewer, kind, expected", [
    (INST, "output", True), (ENT, "output", False), (ENT, "need", True),
    (BROKER, "deal", True), (INST, "deal", False), (ANON, "deal", False), (ADMIN, "chain", True),
])
def test_may_create(viewer, kind, expected):
    assert permissions.may_create(viewer, kind) is expected


@pytest.mark.parametrize("viewer, action, expected", [
    (INST, "decide", True),          # an active member of the organisation asked to join
    (OTHER_INST, "decide", False),
    (ADMIN, "decide", True),
    (ENT, "decide", False), (BROKER, "decide", False), (ANON, "decide", False),
    (user(Role.INSTITUTION, id=7, institution_id=10), "decide", False),  # its own author
    (user(Role.INSTITUTION, id=2, institution_id=10, active=False), "decide", False),
    (user(Role.INSTITUTION, id=7, institution_id=10), "view", True),
    (OTHER_INST, "view", False),
])
def test_join_request_rules(viewer, action, expected):
    request = NS(permission_kind="join_request", id=4, user_id=7, institution_id=10,
                 enterprise_id=None)
    assert permissions.can(viewer, action, request) is expected


@pytest.mark.parametrize("viewer, action, expected", [
    (BROKER, "judge", True), (ADMIN, "judge", False), (INST, "judge", False),
    (INST, "see_matches", True), (OTHER_INST, "see_matches", False), (ENT, "see_matches", False),
    (INST, "ask_introduction", True), (ENT, "ask_introduction", False),
    (INST, "follow_matches", True), (OTHER_INST, "follow_matches", False),
    (BROKER, "follow_matches", False), (ADMIN, "follow_matches", False),
])
def test_output_actions(viewer, action, expected):
    assert permissions.can(viewer, action, output()) is expected


def test_system_acts_with_an_operators_rights_and_is_no_member():
    assert permissions.can(permissions.SYSTEM, "edit", output("draft"))
    assert permissions.may_create(permissions.SYSTEM, "output")
    assert not permissions.member_of_institution(permissions.SYSTEM, 10)
