"""No job hangs: jobs that stopped making progress are finalised with what is known, and the email says so."""

from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.dal import job_store
from customer_bulk.logic.report import start_report
from customer_bulk.models.job import JobStatus
from customer_bulk.observability import logger, metrics
from customer_bulk.settings import get_settings

# An upload link lives 15 minutes; a job still waiting for its file a day later will never get it.
UPLOAD_GRACE = timedelta(days=1)


def finalise_stalled_jobs(now: datetime) -> int:
    """Start the report of every job idle for longer than the stall limit; returns how many were started."""
    idle_since = now - timedelta(seconds=get_settings().stalled_after_s)
    jobs = job_store()
    stalled = jobs.active_jobs_updated_before(JobStatus.PROCESSING, idle_since)
    stalled += jobs.active_jobs_updated_before(JobStatus.SPLITTING, idle_since)
    for tenant_id, job_id in jobs.active_jobs_updated_before(JobStatus.AWAITING_UPLOAD, now - UPLOAD_GRACE):
        # Abandoned before the upload: nothing happened, so nobody is emailed.
        jobs.transition(
            tenant_id,
            job_id,
            JobStatus.FAILED,
            (JobStatus.AWAITING_UPLOAD,),
            now,
            error_code="upload_expired",
            error="No file was uploaded before the upload link expired.",
        )
    for tenant_id, job_id in stalled:
        logger.warning("Finalising a stalled job", extra={"job_id": job_id})
        start_report(tenant_id, job_id)
    metrics.add_metric(name="StalledJobsFinalised", unit=MetricUnit.Count, value=len(stalled))
    return len(stalled)
