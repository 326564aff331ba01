"""Yearly targets: the service (who may set them, bad values, concurrent edits) and the seed."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from matchmaker.dashboard import services
from matchmaker.dashboard.models import YearTarget
from matchmaker.dashboard.services import TargetData
from matchmaker.domain import Role
from matchmaker.errors import PermissionDeniedError, StaleObjectError, ValidationFailedError


@pytest.fixture
def operator(make_user):
    return make_user(Role.ADMIN)


def test_seed_holds_the_xian_plan_and_this_years_targets(db_session):
    rows = {(t.year, t.metric): t.target for t in db_session.scalars(select(YearTarget))}
    assert rows[(2021, "contract_turnover")] == 1500
    assert rows[(2022, "local_conversion_projects")] == 500
    assert rows[(2023, "brokers_trained")] == 200
    assert rows[(2023, "tech_transfer_institutions")] == 200
    assert rows[(2023, "high_tech_enterprises")] == 10000
    assert rows[(2023, "tech_smes")] == 12000
    from matchmaker.pipeline import clock
    assert (clock.today().year, "deals_started") in rows


def test_an_operator_sets_and_changes_a_target(db_session, operator):
    made = services.set_target(db_session, TargetData(2031, "deals_started", Decimal(90),
                                                      "  first  "), actor=operator, version=None)
    assert (made.target, made.unit, made.note, made.version) == (90, "count", "first", 1)
    changed = services.set_target(db_session, TargetData(2031, "deals_started", Decimal(120)),
                                  actor=operator, version=1)
    assert changed.id == made.id and changed.target == 120 and changed.version == 2
    assert changed.updated_by_id == operator.id


@pytest.mark.parametrize("role", [Role.BROKER, Role.INSTITUTION, Role.ENTERPRISE])
def test_only_operators_set_targets(db_session, make_user, role):
    with pytest.raises(PermissionDeniedError):
        services.set_target(db_session, TargetData(2031, "deals_started", Decimal(9)),
                            actor=make_user(role), version=None)
    assert services.find_target(db_session, 2031, "deals_started") is None


def test_an_edit_based_on_an_old_version_is_refused(db_session, operator):
    services.set_target(db_session, TargetData(2031, "contracts_signed", Decimal(10)),
                        actor=operator, version=None)
    services.set_target(db_session, TargetData(2031, "contracts_signed", Decimal(12)),
                        actor=operator, version=1)
    with pytest.raises(StaleObjectError):
        services.set_target(db_session, TargetData(2031, "contracts_signed", Decimal(99)),
                            actor=operator, version=1)
    with pytest.raises(StaleObjectError):  # the page showed no target, someone set one since
        services.set_target(db_session, TargetData(2031, "contracts_signed", Decimal(99)),
                            actor=operator, version=None)
    assert services.find_target(db_session, 2031, "contracts_signed").target == 12


@pytest.mark.parametrize(("data", "field"), [
    (TargetData(2031, "no_such_metric", Decimal(1)), "metric"),
    (TargetData(1999, "deals_started", Decimal(1)), "year"),
    (TargetData(2031, "deals_started", Decimal(-1)), "target"),
    (TargetData(2031, "local_conversion_rate", Decimal(101)), "target"),
    (TargetData(2031, "deals_started", Decimal("1e12")), "target"),
    (TargetData(2031, "deals_started", Decimal(1), "x" * 301), "note"),
])
def test_bad_values_are_refused_by_field(db_session, operator, data, field):
    with pytest.raises(ValidationFailedError) as refused:
        services.set_target(db_session, data, actor=operator, version=None)
    assert set(refused.value.reasons) == {field}
