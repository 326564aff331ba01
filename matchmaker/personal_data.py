"""The personal-data export's sections from features above auth (wired by create_app).

auth owns the export (auth/privacy.py) but sits below listings and matches, so the sections
about a person's match feedback and the listings they created are registered from here.
"""
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.auth.models import User
from matchmaker.auth.privacy import register_exporter
from matchmaker.notifications.models import CalendarFeed, Notification, NotificationPreference
from matchmaker.pipeline.models import Activity, Deal, IntroductionRequest
from matchmaker.profiles.models import ResearchOutput, TechNeed
from matchmaker.recommendations.models import MatchFeedback


def match_feedback(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(MatchFeedback).where(MatchFeedback.user_id == user.id)
                           .order_by(MatchFeedback.id)).all()
    return [{"need_id": f.need_id, "need_title": f.need.title, "output_id": f.output_id,
             "output_title": f.output.title, "verdict": f.verdict, "reason": f.reason,
             "comment": f.comment, "created_at": f.created_at} for f in rows]


def _created(model, session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(model).where(model.created_by_id == user.id)
                           .order_by(model.id)).all()
    return [{"id": r.id, "title": r.title, "status": r.status, "created_at": r.created_at}
            for r in rows]


def deal_activities(session: Session, user: User) -> list[dict]:
    """Calls, visits, notes and comments the person wrote on deals."""
    rows = session.scalars(select(Activity).where(Activity.author_id == user.id)
                           .order_by(Activity.id)).all()
    return [{"deal_id": a.deal_id, "kind": a.kind, "body": a.body,
             "happened_at": a.happened_at} for a in rows]


def introduction_requests(session: Session, user: User) -> list[dict]:
    """Introductions the person asked for."""
    rows = session.scalars(select(IntroductionRequest).where(
        IntroductionRequest.requested_by_id == user.id).order_by(IntroductionRequest.id)).all()
    return [{"need_id": r.need_id, "output_id": r.output_id, "message": r.message,
             "status": r.status, "created_at": r.created_at} for r in rows]


def deals_owned(session: Session, user: User) -> list[dict]:
    """Deals the person (a broker) owns."""
    rows = session.scalars(select(Deal).where(Deal.owner_id == user.id).order_by(Deal.id)).all()
    return [{"id": d.id, "title": d.title, "stage": d.stage.key, "created_at": d.created_at}
            for d in rows]


def notifications(session: Session, user: User) -> dict:
    """What the person was told, their choices per kind, and whether they have a calendar
    link (its secret is not exported: it is a credential)."""
    rows = session.scalars(select(Notification).where(Notification.recipient_id == user.id)
                           .order_by(Notification.id)).all()
    choices = session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == user.id).order_by(NotificationPreference.kind)).all()
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return {"received": [{"kind": n.kind, "params": n.params, "created_at": n.created_at,
                          "read_at": n.read_at, "emailed_at": n.emailed_at} for n in rows],
            "choices": [{"kind": c.kind, "email": c.email, "muted": c.muted} for c in choices],
            "calendar_link_created_at": feed.created_at if feed else None}


def import_batches(session: Session, user: User) -> list[dict]:
    """The files the person uploaded for a bulk import (names and outcomes, not the bytes:
    they hold the organisation's listings, exported on their own pages)."""
    from matchmaker.imports.models import ImportBatch

    rows = session.scalars(select(ImportBatch).where(ImportBatch.created_by_id == user.id)
                           .order_by(ImportBatch.id)).all()
    return [{"id": b.id, "kind": b.kind, "filename": b.filename, "size": b.size,
             "status": b.status, "created_at": b.created_at, "applied_at": b.applied_at}
            for b in rows]


def register() -> None:
    register_exporter("match_feedback", match_feedback)
    register_exporter("research_outputs_created",
                      lambda session, user: _created(ResearchOutput, session, user))
    register_exporter("technology_needs_created",
                      lambda session, user: _created(TechNeed, session, user))
    register_exporter("deal_activities", deal_activities)
    register_exporter("introduction_requests", introduction_requests)
    register_exporter("deals_owned", deals_owned)
    register_exporter("import_batches", import_batches)
    register_exporter("notifications", notifications)
