"""Uploads go to a folder of each test's own; a listing world with a deal on it."""
from dataclasses import dataclass

import pytest

from matchmaker.domain import Role


@pytest.fixture(autouse=True)
def uploads(app, tmp_path, monkeypatch):
    """Point UPLOAD_DIR at the test's own folder; return it."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", folder)
    return folder


@dataclass
class World:
    output: object
    deal: object
    broker: object  # the deal's owner
    other_broker: object
    operator: object
    owner: object  # a member of the output's institution
    counterpart: object  # a member of the deal's enterprise
    stranger: object  # a member of another enterprise


@pytest.fixture
def world(db_session, make_user, make_deal, make_output):
    owner = make_user(Role.INSTITUTION)
    output = make_output(owner=owner)
    deal = make_deal(stage_key="introduced", output=output)
    counterpart = make_user(Role.ENTERPRISE, organisation=deal.need.enterprise)
    return World(output, deal, deal.owner, make_user(Role.BROKER), make_user(Role.ADMIN),
                 owner, counterpart, make_user(Role.ENTERPRISE))
