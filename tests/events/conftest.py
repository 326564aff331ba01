"""An event world: its organiser (a broker), another broker, an operator, an enterprise and an
institution with a user and a listing each, and an unrelated enterprise's user."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

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


def store_match(session, need, output, score: float) -> None:
    """Put (need, output) into the current stored matches with score, as the worker would."""
    from matchmaker.recommendations.models import MatchGeneration, MatchSet, StoredMatch
    from matchmaker.recommendations.store import current_generation

    generation = current_generation(session)
    if generation is None:
        generation = MatchGeneration(status="current", settings_digest="test")
        session.add(generation)
        session.flush()
    match_set = session.scalar(select(MatchSet).where(
        MatchSet.generation_id == generation.id, MatchSet.side == "need",
        MatchSet.profile_id == need.id))
    if match_set is None:
        match_set = MatchSet(generation_id=generation.id, side="need", profile_id=need.id,
                             profile_version=need.version)
        session.add(match_set)
        session.flush()
    rank = len(match_set.matches) + 1
    session.add(StoredMatch(set_id=match_set.id, rank=rank, need_id=need.id,
                            output_id=output.id, score=score, parts={}, explanation={}))
    session.flush()
    session.expire(match_set)


@dataclass
class Fair:
    """A confirmed fair: enterprises with a need each, institutions with an output each."""

    world: World
    enterprises: list  # EventParticipant
    institutions: list
    needs: list
    outputs: list
    slots: list


@pytest.fixture
def fair(db_session, world, make_user, make_need, make_output):
    """Two enterprises and two institutions confirmed, three slots, stored matches between
    every need and output (scores 0.9, 0.8, 0.7, 0.6)."""
    w = world
    slots = add_slots(db_session, w.event, 3, w.organiser)
    ent_users = [w.ent_user, make_user(Role.ENTERPRISE)]
    inst_users = [w.inst_user, make_user(Role.INSTITUTION)]
    needs = [w.need, make_need(owner=ent_users[1])]
    outputs = [w.output, make_output(owner=inst_users[1])]
    enterprises, institutions = [], []
    for user, need in zip(ent_users, needs, strict=True):
        p = services.invite_participant(db_session, w.event, session_org(db_session, user),
                                        actor=w.organiser, listing_ids=[need.id])
        enterprises.append(services.confirm_participant(db_session, p, actor=w.organiser))
    for user, output in zip(inst_users, outputs, strict=True):
        p = services.invite_participant(db_session, w.event, session_org(db_session, user),
                                        actor=w.organiser, listing_ids=[output.id])
        institutions.append(services.confirm_participant(db_session, p, actor=w.organiser))
    scores = iter((0.9, 0.8, 0.7, 0.6))
    for need in needs:
        for output in outputs:
            store_match(db_session, need, output, next(scores))
    services.set_event_status(db_session, w.event, "open", actor=w.organiser)
    return Fair(w, enterprises, institutions, needs, outputs, slots)


def session_org(session, user):
    from matchmaker.orgs.models import Enterprise, Institution

    if user.enterprise_id:
        return session.get(Enterprise, user.enterprise_id)
    return session.get(Institution, user.institution_id)
