"""No job hangs: jobs that stopped making progress are finalised with what is known, and the email says so;
previews nobody confirmed in time expire."""

from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.logic.job_actions import expire_preview
from customer_bulk.logic.report import start_report
from customer_bulk.models.job import JobStatus
from customer_bulk.observability import logger, metrics
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings

# An upload link lives 15 minutes; a job still waiting for its file a day later will never get it.
UPLOAD_GRACE = timedelta(days=1)


def finalise_stalled_jobs(stores: Stores, now: datetime) -> int:
    """Start the report of every job idle for longer than the stall limit; returns how many were started."""
    idle_since = now - timedelta(seconds=get_settings().stalled_after_s)
    jobs = stores.jobs
    stalled = [
        (tenant_id, job_id)
        for status in (JobStatus.PROCESSING, JobStatus.SPLITTING, JobStatus.ROLLING_BACK)
        for tenant_id, job_id in jobs.active_jobs_updated_before(status, idle_since)
    ]
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
        job = jobs.get(tenant_id, job_id)
        if job is not None:
            logger.warning("Finalising a stalled job", extra={"job_id": job_id, "phase": job.phase.value})
            start_report(stores, job)
    metrics.add_metric(name="StalledJobsFinalised", unit=MetricUnit.Count, value=len(stalled))
    expire_previews(stores, now)
    return len(stalled)


def expire_previews(stores: Stores, now: datetime) -> int:
    """Previews past their expiry can no longer be confirmed: they end as expired and their files go."""
    expired = 0
    jobs = stores.jobs
    waiting = [
        job
        for status in (JobStatus.PREVIEWED, JobStatus.MAPPED)
        for job in jobs.active_jobs_updated_before(status, now)
    ]
    for tenant_id, job_id in waiting:
        job = jobs.get(tenant_id, job_id)
        if job is not None and job.preview_expires_at is not None and job.preview_expires_at <= now:
            expire_preview(stores, job, now)
            expired += 1
    metrics.add_metric(name="PreviewsExpired", unit=MetricUnit.Count, value=expired)
    return expired
