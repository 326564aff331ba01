"""Fixtures of the pipeline tests: a sector chain of the test's own, the broker who specialises
in it, an operator, and a region to land in. People, listings and deals come from the shared
factories of tests/factories.py (make_user, make_output, make_need, make_deal)."""
import pytest

from matchmaker.auth.models import User
from matchmaker.chains.models import Chain
from matchmaker.domain import Role
from matchmaker.orgs.models import Region
from tests.factories import home_region


@pytest.fixture
def chain(make_chain) -> Chain:
    """A chain of the test's own: only the broker fixture specialises in it, so introductions
    and an operator's unassigned deals on it go to that broker."""
    return make_chain()


@pytest.fixture
def broker(make_broker, chain) -> User:
    return make_broker(chains=[chain], name="测试经纪人")


@pytest.fixture
def admin(make_user) -> User:
    return make_user(Role.ADMIN)


@pytest.fixture
def region(db_session) -> Region:
    """A seed region in the home province: a deal landed there is local conversion."""
    return home_region(db_session)
