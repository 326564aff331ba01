"""What the stage tests share: an operator, a broker and open deals, made with the shared
factories (tests/factories.py) through the services."""
from datetime import timedelta
from decimal import Decimal

import pytest

from matchmaker.domain import Role
from matchmaker.pipeline import clock, services


@pytest.fixture
def operator(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def broker(make_broker):
    return make_broker()


@pytest.fixture
def open_deal(db_session, broker, make_output, make_need):
    """Return open_deal(stage_key="introduced", **create_deal options): the broker's deal on a
    fresh output and need, started at stage_key (a stage a deal may start at)."""
    def make(stage_key: str = "introduced", **options):
        values = {"next_step": "约双方面谈", "next_step_due": clock.today() + timedelta(days=5),
                  "expected_value": Decimal(100), **options}
        return services.create_deal(db_session, actor=broker, output=make_output(),
                                    need=make_need(), stage_key=stage_key, **values)
    return make
