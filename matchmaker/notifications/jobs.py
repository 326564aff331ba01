"""The notifications' background work (registered with the job runner by create_app)."""
from matchmaker.jobs import JobContext, task
from matchmaker.notifications import digest, emails, services, wecom
from matchmaker.pipeline import clock

ACCOUNT_EMAIL_TASK = "notifications.account_email"
WECOM_TEST_TASK = "notifications.wecom_test"


# 00:00 UTC is 08:00 on the platform's business day (UTC+8): the day's reminders arrive at
# the start of the working day. A run that is late or repeated records nothing twice.
@task("notifications.reminders", cron="0 0 * * *", label="Deal reminders and escalations")
def reminders_job(ctx: JobContext) -> dict:
    """Record the reminders and escalations the open deals call for today."""
    return services.send_reminders(ctx.session, today=clock.today())


# 01:00 UTC on Monday is 09:00 on the platform's Monday (UTC+8): the week's digest of new
# matches arrives as the working week starts. A late or repeated run in the same ISO week
# sends each owner nothing more (digest.py).
@task("notifications.digest", cron="0 1 * * 1", label="Weekly digest of new matches")
def digest_job(ctx: JobContext) -> dict:
    """Send the listing owners this week's digest of their new matches above the threshold."""
    return digest.send_digests(ctx.session, today=clock.today())


@task(services.EMAIL_TASK, label="E-mail a notification")
def email_job(ctx: JobContext, notification_id: int) -> dict:
    """E-mail one notification to its recipient."""
    return {"sent": emails.send_notification_email(ctx.session, notification_id)}


@task(ACCOUNT_EMAIL_TASK, unique=False, label="Account e-mail")
def account_email_job(ctx: JobContext, user_id: int, kind: str) -> dict:
    """Send an account e-mail: verify the address, approved, refused or reset the password."""
    return {"sent": emails.send_account_email(ctx.session, user_id, kind)}


@task(services.WECOM_TASK, label="Post a notification to a WeCom group")
def wecom_job(ctx: JobContext, notification_id: int) -> dict:
    """Post one notification to its recipient's WeCom group robot."""
    return {"sent": wecom.post_notification(ctx.session, notification_id)}


@task(WECOM_TEST_TASK, unique=False, label="WeCom test message")
def wecom_test_job(ctx: JobContext, user_id: int) -> dict:
    """Post a test message to a person's WeCom group robot."""
    return {"sent": wecom.post_test(ctx.session, user_id)}
