"""The reminder rules on a fixed day, without Flask or a database."""
from datetime import date, timedelta

from matchmaker.domain import NdaStatus, Phase
from matchmaker.notifications.rules import (
    Audience,
    DealSnapshot,
    Kind,
    ReminderSettings,
    deal_reminders,
    may_mute,
    recipient_key,
)
from matchmaker.pipeline.rules import DealFacts, StageDef

TODAY = date(2026, 12, 10)
STAGE = StageDef(key="negotiating", phase=Phase.LAND, position=40, stale_after_days=14)


def snapshot(*, due=None, last=TODAY, is_open=True, snoozed=None, nda=NdaStatus.NONE,
             nda_until=None, stage=STAGE) -> DealSnapshot:
    facts = DealFacts(stage_key=stage.key, is_open=is_open, next_step_due=due,
                      last_activity_on=last, snoozed_until=snoozed)
    return DealSnapshot(deal_id=7, owner_id=3, facts=facts, stage=stage, nda_status=nda,
                        nda_expires_on=nda_until)


def kinds(reminders) -> list[tuple[Kind, Audience]]:
    return [(r.kind, r.audience) for r in reminders]


def test_a_step_due_tomorrow_reminds_the_owner():
    found = deal_reminders(snapshot(due=TODAY + timedelta(days=1)), TODAY)
    assert kinds(found) == [(Kind.STEP_TOMORROW, Audience.OWNER)]
    assert found[0].key == "next_step_tomorrow:7:2026-12-11"


def test_a_step_due_today_reminds_the_owner():
    assert kinds(deal_reminders(snapshot(due=TODAY), TODAY)) == [
        (Kind.STEP_TODAY, Audience.OWNER)]


def test_a_step_due_later_calls_for_nothing():
    assert deal_reminders(snapshot(due=TODAY + timedelta(days=2)), TODAY) == []


def test_an_overdue_step_reminds_the_owner_within_the_grace_period():
    for late in (1, 3):
        found = deal_reminders(snapshot(due=TODAY - timedelta(days=late)), TODAY)
        assert kinds(found) == [(Kind.STEP_OVERDUE, Audience.OWNER)]


def test_overdue_past_the_grace_period_escalates_to_the_operators():
    found = deal_reminders(snapshot(due=TODAY - timedelta(days=4)), TODAY)
    assert kinds(found) == [(Kind.STEP_OVERDUE, Audience.OWNER),
                            (Kind.ESCALATION, Audience.OPERATORS)]


def test_still_open_a_further_period_later_escalates_to_the_leads():
    settings = ReminderSettings(escalate_after_days=3, second_level_after_days=4)
    at_first_level = deal_reminders(snapshot(due=TODAY - timedelta(days=7)), TODAY, settings)
    at_second_level = deal_reminders(snapshot(due=TODAY - timedelta(days=8)), TODAY, settings)
    assert (Kind.ESCALATION_SECOND, Audience.LEADS) not in kinds(at_first_level)
    assert kinds(at_second_level)[-1] == (Kind.ESCALATION_SECOND, Audience.LEADS)


def test_a_stage_may_have_its_own_grace_period():
    settings = ReminderSettings(escalate_after_days=3,
                                escalate_after_by_stage={"negotiating": 10})
    found = deal_reminders(snapshot(due=TODAY - timedelta(days=5)), TODAY, settings)
    assert kinds(found) == [(Kind.STEP_OVERDUE, Audience.OWNER)]


def test_every_overdue_reminder_of_one_due_date_has_one_key_whatever_the_day():
    """A job that runs on later days (or twice) proposes the same key: recorded once."""
    due = TODAY - timedelta(days=2)
    keys = {r.key for day in (TODAY, TODAY + timedelta(days=1))
            for r in deal_reminders(snapshot(due=due), day) if r.kind == Kind.STEP_OVERDUE}
    assert keys == {"next_step_overdue:7:2026-12-08"}


def test_a_new_due_date_is_a_new_occasion():
    first = deal_reminders(snapshot(due=TODAY), TODAY)[0].key
    moved = deal_reminders(snapshot(due=TODAY + timedelta(days=1)), TODAY + timedelta(days=1))
    assert moved[0].key != first


def test_a_closed_deal_calls_for_nothing():
    assert deal_reminders(snapshot(due=TODAY - timedelta(days=30), is_open=False), TODAY) == []


def test_a_stale_deal_reminds_the_owner_using_the_pipelines_staleness():
    idle = snapshot(due=TODAY + timedelta(days=5), last=TODAY - timedelta(days=15))
    found = deal_reminders(idle, TODAY)
    assert kinds(found) == [(Kind.STALE, Audience.OWNER)]
    assert found[0].dates == {"since_on": TODAY - timedelta(days=15)}


def test_a_snoozed_or_recently_active_deal_is_not_stale():
    snoozed = snapshot(due=TODAY + timedelta(days=5), last=TODAY - timedelta(days=15),
                       snoozed=TODAY)
    active = snapshot(due=TODAY + timedelta(days=5), last=TODAY - timedelta(days=14))
    assert deal_reminders(snoozed, TODAY) == [] and deal_reminders(active, TODAY) == []


def test_a_signed_nda_expiring_within_the_window_reminds_the_owner():
    settings = ReminderSettings(nda_warning_days=14)
    inside = snapshot(nda=NdaStatus.SIGNED, nda_until=TODAY + timedelta(days=14))
    outside = snapshot(nda=NdaStatus.SIGNED, nda_until=TODAY + timedelta(days=15))
    unsigned = snapshot(nda=NdaStatus.SENT, nda_until=TODAY + timedelta(days=3))
    assert kinds(deal_reminders(inside, TODAY, settings)) == [(Kind.NDA_EXPIRING,
                                                                Audience.OWNER)]
    assert deal_reminders(outside, TODAY, settings) == []
    assert deal_reminders(unsigned, TODAY, settings) == []


def test_escalations_cannot_be_muted_other_kinds_can():
    assert not may_mute(Kind.ESCALATION) and not may_mute(Kind.ESCALATION_SECOND)
    assert may_mute(Kind.STEP_OVERDUE) and may_mute(Kind.ASSIGNED)


def test_each_recipient_has_its_own_key():
    assert recipient_key("escalation:7:2026-12-01", 3) != recipient_key(
        "escalation:7:2026-12-01", 4)
