"""The daily reminder job on a fixed clock: what it records for whom, once, and how each
person's choices apply (muted kinds are not recorded; escalations cannot be muted)."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from matchmaker.domain import NdaStatus, Role
from matchmaker.jobs import enqueue, run_queued
from matchmaker.notifications import services
from matchmaker.notifications.models import Notification, NotificationPreference
from matchmaker.notifications.rules import Kind
from matchmaker.pipeline import clock
from matchmaker.pipeline import services as pipeline

TODAY = date(2026, 12, 10)
# 08:00 on TODAY in China (the job's cron time): 00:00 UTC.
MORNING = datetime(2026, 12, 10, 0, 0, tzinfo=UTC)


def received(session, user, deal=None) -> list[tuple[str, str]]:
    """Return (kind, dedupe key) of user's notifications, about deal if given."""
    rows = session.scalars(select(Notification).where(Notification.recipient_id == user.id)
                           .order_by(Notification.id)).all()
    return [(r.kind, r.dedupe_key) for r in rows
            if deal is None or (r.link_endpoint, r.link_args) == ("pipeline.detail",
                                                                   {"deal_id": deal.id})]


def kinds_of(session, user, deal=None) -> list[str]:
    return [kind for kind, _key in received(session, user, deal)]


@pytest.fixture
def run(app, db_session):
    """Return run(day): the reminders of day, in the app (its settings)."""
    def run_on(day: date) -> dict:
        with app.app_context():
            return services.send_reminders(db_session, today=day)
    return run_on


@pytest.fixture
def broker(make_broker):
    return make_broker()


@pytest.fixture
def operator(make_user):
    return make_user(Role.ADMIN)


def test_a_step_due_tomorrow_is_recorded_once_when_the_job_runs_twice(app, db_session, broker,
                                                                      open_deal):
    deal = open_deal(broker, due=TODAY + timedelta(days=1))
    with app.app_context(), clock.at(MORNING):
        for _ in range(2):
            enqueue(db_session, "notifications.reminders")
            db_session.commit()
            run_queued(db_session)
    assert kinds_of(db_session, broker, deal) == [Kind.STEP_TOMORROW]
    row = db_session.scalar(select(Notification).where(Notification.recipient_id == broker.id))
    assert row.params["deal"] == deal.title and row.params["step"] == deal.next_step
    assert row.params["due_on"] == "2026-12-11" and row.read_at is None


def test_due_today_then_overdue_on_the_following_days_each_once(run, db_session, broker,
                                                                 open_deal):
    deal = open_deal(broker, due=TODAY)
    for day in (TODAY, TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=2)):
        run(day)
    assert kinds_of(db_session, broker, deal) == [Kind.STEP_TODAY, Kind.STEP_OVERDUE]


def test_a_job_that_ran_late_sends_what_is_due_that_day(run, db_session, broker, open_deal):
    """The run of the day before the due date was missed: no belated "due tomorrow"."""
    deal = open_deal(broker, due=TODAY)
    run(TODAY)
    assert kinds_of(db_session, broker, deal) == [Kind.STEP_TODAY]


def test_escalation_reaches_every_operator_after_the_grace_period_once(
        run, db_session, broker, operator, open_deal, app, monkeypatch):
    monkeypatch.setitem(app.config, "ESCALATION_GRACE_DAYS", 3)
    deal = open_deal(broker, due=TODAY - timedelta(days=3))
    run(TODAY)
    assert kinds_of(db_session, operator, deal) == []
    for _ in range(2):
        run(TODAY + timedelta(days=1))
    assert kinds_of(db_session, operator, deal) == [Kind.ESCALATION]
    assert kinds_of(db_session, broker, deal) == [Kind.STEP_OVERDUE]
    row = db_session.scalar(select(Notification).where(
        Notification.recipient_id == operator.id,
        Notification.dedupe_key.startswith(f"escalation:{deal.id}:")))
    assert row.params["broker"] == broker.display_name


def test_second_escalation_goes_to_the_configured_leads_only(
        run, db_session, broker, operator, make_user, open_deal, app, monkeypatch):
    lead = make_user(Role.ADMIN)
    monkeypatch.setitem(app.config, "ESCALATION_GRACE_DAYS", 3)
    monkeypatch.setitem(app.config, "ESCALATION_SECOND_LEVEL_DAYS", 4)
    monkeypatch.setitem(app.config, "ESCALATION_LEADS", (lead.email,))
    deal = open_deal(broker, due=TODAY - timedelta(days=7))
    run(TODAY)
    assert Kind.ESCALATION_SECOND not in kinds_of(db_session, lead, deal)
    run(TODAY + timedelta(days=1))
    assert kinds_of(db_session, lead, deal) == [Kind.ESCALATION, Kind.ESCALATION_SECOND]
    assert kinds_of(db_session, operator, deal) == [Kind.ESCALATION]


def test_without_leads_the_second_escalation_goes_to_every_operator(
        run, db_session, broker, operator, open_deal, app, monkeypatch):
    monkeypatch.setitem(app.config, "ESCALATION_LEADS", ())
    deal = open_deal(broker, due=TODAY - timedelta(days=30))
    run(TODAY)
    assert kinds_of(db_session, operator, deal) == [Kind.ESCALATION, Kind.ESCALATION_SECOND]


def test_a_muted_kind_is_not_recorded_and_other_kinds_still_are(run, db_session, broker,
                                                                open_deal):
    services.save_choices(db_session, broker, {
        Kind.STEP_OVERDUE: services.Choice(email=False, muted=True)})
    overdue = open_deal(broker, due=TODAY - timedelta(days=1))
    tomorrow = open_deal(broker, due=TODAY + timedelta(days=1))
    run(TODAY)
    assert kinds_of(db_session, broker, overdue) == []
    assert kinds_of(db_session, broker, tomorrow) == [Kind.STEP_TOMORROW]


def test_escalations_cannot_be_muted(run, db_session, broker, operator, open_deal):
    services.save_choices(db_session, operator, {
        Kind.ESCALATION: services.Choice(email=False, muted=True)})
    stored = db_session.get(NotificationPreference, (operator.id, Kind.ESCALATION))
    assert stored.muted is False and stored.email is False
    # Even a row that says muted (written around the service) does not silence them.
    stored.muted = True
    db_session.flush()
    deal = open_deal(broker, due=TODAY - timedelta(days=10))
    run(TODAY)
    assert Kind.ESCALATION in kinds_of(db_session, operator, deal)


def test_a_disabled_broker_gets_nothing(run, db_session, broker, open_deal):
    from matchmaker.auth import services as auth

    deal = open_deal(broker, due=TODAY)
    auth.set_account_status(db_session, broker, "disabled")
    run(TODAY)
    assert kinds_of(db_session, broker, deal) == []


def test_a_stale_deal_is_reported_once_per_idle_stretch(run, db_session, broker, open_deal):
    with clock.at(MORNING - timedelta(days=40)):
        deal = open_deal(broker, due=TODAY + timedelta(days=20))
    for day in (TODAY, TODAY + timedelta(days=1)):
        run(day)
    assert kinds_of(db_session, broker, deal) == [Kind.STALE]
    pipeline.add_activity(db_session, deal, "call", "Called the lab", actor=broker)
    run(TODAY + timedelta(days=1))
    assert kinds_of(db_session, broker, deal) == [Kind.STALE]  # active again: nothing new


def test_an_nda_expiring_soon_reminds_the_owner_once(run, db_session, broker, open_deal, app,
                                                      monkeypatch):
    monkeypatch.setitem(app.config, "NDA_EXPIRY_WARNING_DAYS", 14)
    deal = open_deal(broker, due=TODAY + timedelta(days=20))
    pipeline.set_nda(db_session, deal, NdaStatus.SIGNED, actor=broker,
                     expires_on=TODAY + timedelta(days=10))
    for day in (TODAY, TODAY + timedelta(days=1)):
        run(day)
    assert kinds_of(db_session, broker, deal) == [Kind.NDA_EXPIRING]


def test_the_reminder_job_is_scheduled_daily():
    from matchmaker.jobs import TASKS

    assert TASKS["notifications.reminders"].cron == "0 0 * * *"
