"""The showcase's background work (registered with the job runner by create_app)."""
from flask import current_app

from matchmaker.jobs import JobContext, task
from matchmaker.showcase.contact import erase_handled_requests


# 00:20 UTC, 08:20 Beijing time, after the night's other housekeeping.
@task("showcase.erase_contact_requests", cron="20 0 * * *",
      label="Erase handled contact requests past their retention")
def erase_contact_requests_job(ctx: JobContext) -> dict:
    """Erase the contact requests handled longer ago than CONTACT_REQUEST_RETENTION_DAYS."""
    days = current_app.config["CONTACT_REQUEST_RETENTION_DAYS"]
    return {"erased": erase_handled_requests(ctx.session, days=days), "days": days}
