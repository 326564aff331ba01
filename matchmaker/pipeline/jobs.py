"""The pipeline's periodic work (registered with the job runner by create_app)."""
from matchmaker.jobs import JobContext, task
from matchmaker.pipeline.landing import expire_ndas


# 16:10 UTC is 00:10 on the platform's business day (UTC+8): just after an NDA's last day.
@task("pipeline.expire_ndas", cron="10 16 * * *", label="Expire NDAs past their date")
def expire_ndas_job(ctx: JobContext) -> dict:
    """Mark the signed NDAs whose expiry date has passed as expired."""
    return {"expired": len(expire_ndas(ctx.session))}
