"""What the stage tests share: an operator, a broker and the broker's open deals, made with the
shared factories (tests/factories.py) through the services."""
from decimal import Decimal

import pytest

from matchmaker.domain import Role


@pytest.fixture
def operator(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def broker(make_broker):
    return make_broker()


@pytest.fixture
def open_deal(make_deal, broker):
    """Return open_deal(stage_key="introduced", **make_deal options): the broker's deal on a
    fresh output and need, worth 100 (10k yuan)."""
    def make(stage_key: str = "introduced", **options):
        return make_deal(stage_key=stage_key, owner=broker,
                         **{"expected_value": Decimal(100), **options})
    return make
