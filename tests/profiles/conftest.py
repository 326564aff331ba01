"""Accounts the profile tests act as: a new institution and a new enterprise (factories)."""
import pytest

from matchmaker.domain import Role


@pytest.fixture
def institution(make_user):
    """An active institution account with an organisation of its own."""
    return make_user(Role.INSTITUTION)


@pytest.fixture
def enterprise(make_user):
    """An active enterprise account with an organisation of its own."""
    return make_user(Role.ENTERPRISE)


@pytest.fixture
def institution_client(institution, sign_in):
    return sign_in(institution)


@pytest.fixture
def enterprise_client(enterprise, sign_in):
    return sign_in(enterprise)
