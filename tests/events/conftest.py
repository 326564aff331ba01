"""An event world: its organiser (a broker), another broker, an operator, an enterprise and an
institution with a user and a listing each, and an unrelated enterprise's user."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from matchmaker.domain import Role
from matchmaker.events import services
from matchmaker.events.models import Event

DAY = date.today() + timedelta(days=30)


@dataclass
class World:
    organiser: object
    other_broker: object
    operator: object
    ent_user: object
    inst_user: object
    stranger: object
    need: object
    output: object
    event: Event


def event_data(**overrides) -> services.EventData:
    values = {"title": "氢能产业链对接会", "starts_on": DAY, "ends_on": DAY,
              "place": "西安高新区会展中心", "tables": 4, "capacity": 20}
    values.update(overrides)
    return services.EventData(**values)


def add_slots(session, event, count: int, actor):
    """Add count 20-minute slots from 9:00 on the event's first day."""
    start = datetime.combine(event.starts_on, datetime.min.time()) + timedelta(hours=9)
    return [services.add_slot(session, event, start + timedelta(minutes=20 * i),
                              start + timedelta(minutes=20 * i + 20), actor=actor)
            for i in range(count)]


@pytest.fixture
def world(db_session, make_user, make_broker, make_need, make_output):
    organiser, other = make_broker(), make_broker()
    ent_user, inst_user = make_user(Role.ENTERPRISE), make_user(Role.INSTITUTION)
    need = make_need(owner=ent_user)
    output = make_output(owner=inst_user)
    event = services.create_event(db_session, event_data(), actor=organiser)
    return World(organiser, other, make_user(Role.ADMIN), ent_user, inst_user,
                 make_user(Role.ENTERPRISE), need, output, event)
