"""Helpers for the recommendation tests: seed rows by key and the match list of a page."""
import re

import pytest
from sqlalchemy import select

from matchmaker.auth.models import User
from matchmaker.jobs import enqueue, run_queued
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.seed import demo_email

NEED_REF = "h2-n-001"  # published hydrogen need of enterprise h2-ent-02


def need_by_ref(session, ref: str = NEED_REF) -> TechNeed:
    return session.scalar(select(TechNeed).where(TechNeed.ref == ref))


def output_by_ref(session, ref: str) -> ResearchOutput:
    return session.scalar(select(ResearchOutput).where(ResearchOutput.ref == ref))


def user_by_key(session, key: str) -> User:
    return session.scalar(select(User).where(User.email == demo_email(key)))


def candidates(html: str) -> list[int]:
    """Return the ids of the recommended candidates on a page, in rank order."""
    return [int(i) for i in re.findall(r'data-testid="match" data-candidate="(\d+)"', html)]


def scores(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'data-testid="score"[^>]*>(\d+)%<', html)]


@pytest.fixture
def need(db_session) -> TechNeed:
    return need_by_ref(db_session)


def refresh_matches(app, session) -> None:
    """Recompute the stored matches as the worker would after rows were written directly
    (the services ask for it themselves)."""
    with app.app_context():
        enqueue(session, "matches.refresh")
        session.commit()
        run_queued(session)


def settle_jobs(app, session) -> None:
    """Run the jobs the factories queued (their listings' match refresh) now, so that a later
    request does not run them and replace the lists a test stored (store_list)."""
    with app.app_context():
        session.commit()
        run_queued(session)


def store_list(session, listing, candidates) -> None:
    """Store listing's current list of matches as a refresh does (store.write_sets replaces
    the set, with new stored rows): candidates in rank order."""
    from matchmaker.matching import Match, Ranking
    from matchmaker.recommendations import store

    generation = store.current_generation(session)
    ranking = Ranking(listing.id, tuple(Match(c.id, round(0.9 - rank / 100, 2), {"text": 0.5})
                                        for rank, c in enumerate(candidates)))
    store.write_sets(session, generation.id, listing.side, [(ranking, listing.version)],
                     limit=10, floor=0.05)
