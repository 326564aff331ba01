"""Who works with a broker, for the contact rule of permissions (Action.CONTACT on a broker).

auth owns the broker profile but sits below the pipeline, so the pipeline answers the one fact
the rule needs and registers it at start-up (create_app calls register).
"""
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from matchmaker import permissions
from matchmaker.pipeline.models import Deal, IntroductionRequest, deal_co_brokers
from matchmaker.pipeline.queries import visible_condition


def works_with_broker(session: Session, viewer, broker_user_id: int) -> bool:
    """Return whether viewer has a deal with that broker or asked them for an introduction.

    A deal counts when the viewer sees it (their organisation is a party, or they own or
    co-own it: permissions._deal as SQL) and the broker owns or co-owns it, open or lost; an
    introduction request when the viewer made it and it went to the broker, whatever its
    answer.
    """
    if permissions.role_of(viewer) is None:
        return False
    co_owned = select(deal_co_brokers.c.deal_id).where(
        deal_co_brokers.c.user_id == broker_user_id)
    deal = select(Deal.id).where(
        visible_condition(viewer), or_(Deal.owner_id == broker_user_id,
                                       Deal.id.in_(co_owned))).exists()
    asked = select(IntroductionRequest.id).where(
        IntroductionRequest.broker_id == broker_user_id,
        IntroductionRequest.requested_by_id == viewer.id).exists()
    return bool(session.scalar(select(or_(deal, asked))))


def _check(viewer, broker) -> bool:
    session = object_session(broker)
    return session is not None and works_with_broker(session, viewer, broker.user_id)


def register() -> None:
    """Answer permissions' WORKS_WITH_BROKER relation from the deals and introductions."""
    permissions.register_relation(permissions.WORKS_WITH_BROKER, _check)
