"""When a phase of a job ends, the admin is emailed and the tenant's systems get an event (docs/adr/0010).

The notifier task does both, each exactly once per phase run, neither waiting on the other: the state machine
retries the task, and a retry finds what was already done recorded on the job (``claim_notice``), so it neither
mails the admin again nor publishes the event twice. The event goes on the stack's job bus (``import.completed``,
``import.failed``, ``export.completed``, ...); a rule hands it to the webhook queue, from which the tenant's webhook
gets it (logic.webhooks), so a slow or failing webhook never holds up a job or its email.
"""

from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.logic.notice import deliver_notice
from customer_bulk.models.job_events import JobEvent, JobEventLink, JobEventType
from customer_bulk.models.notice import Notice
from customer_bulk.observability import logger, metrics
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings

# (the notice's kind, the job's status when the phase ended) -> the event; any other pair is no end of a phase.
_TYPES: dict[tuple[str, str], JobEventType] = {
    ("import", "completed"): "import.completed",
    ("preview", "previewed"): "import.previewed",
    ("rollback", "rolled_back"): "import.rolled_back",
    **{(kind, end): "import.failed" for kind in ("import", "preview", "rollback") for end in ("failed", "rejected")},
    ("export", "completed"): "export.completed",
    ("export", "failed"): "export.failed",
}


def job_event(notice: Notice) -> JobEvent | None:
    """The event a notice's phase end makes, or None when the notice is no phase end (a phase still running)."""
    event_type = _TYPES.get((notice.kind, notice.status))
    if event_type is None:
        return None
    # A link lives from when its file was written, which is when the phase ended (logic.links).
    ended = notice.ended_at
    expiry = ended + timedelta(seconds=get_settings().report_url_ttl_s) if ended else None
    links: list[JobEventLink] = []
    if notice.kind == "export":
        counts = {"rows": notice.rows_total, "files": len(notice.files)}
        links = [
            JobEventLink(
                name=part.file_name,
                url=part.url,
                expires_at=expiry,
                rows=part.rows,
                first_row=part.first_row,
                last_row=part.last_row,
                size_bytes=part.size_bytes,
            )
            for part in notice.files
        ]
    else:
        rollback = notice.rollback_counts if notice.kind == "rollback" else None
        counts = (rollback or notice.counts).model_dump()
        if notice.report_url and notice.report_name:
            links = [JobEventLink(name=notice.report_name, url=notice.report_url, expires_at=expiry)]
    return JobEvent(
        event_id=f"{notice.job_id}:{notice.once_key}",
        type=event_type,
        tenant_id=notice.tenant_id,
        job_id=notice.job_id,
        kind=notice.kind,
        run=notice.run,
        import_type=None if notice.kind == "export" else notice.import_type,
        status=notice.status,
        file_name=None if notice.kind == "export" else notice.file_name,
        rows_total=notice.rows_total,
        counts=counts,
        error=notice.error,
        language=notice.language,
        finished_at=notice.ended_at,
        links=links,
    )


def publish_job_event(stores: Stores, notice: Notice, now: datetime) -> str:
    """Publish the phase end's event once: a retried task finds it published (or being published: a crash
    mid-publish counts as published, consumers de-duplicate on ``event_id`` anyway)."""
    event = job_event(notice)
    if event is None:
        logger.info("No job event for this notice", extra={"job_id": notice.job_id, "status": notice.status})
        return ""
    jobs, once = stores.jobs, f"event_{notice.once_key}"
    earlier = jobs.claim_notice(notice.tenant_id, notice.job_id, notice.kind, once, now)
    if earlier is not None:
        logger.info("Job event already published", extra={"job_id": notice.job_id, "event": event.type})
        return earlier
    try:
        stores.job_bus.publish([(event.type, event.model_dump(mode="json"))])
    except Exception:
        jobs.release_notice(notice.tenant_id, notice.job_id, notice.kind, once)
        raise
    outcome = f"published {event.event_id} at {now.isoformat()}"
    jobs.settle_notice(notice.tenant_id, notice.job_id, notice.kind, once, outcome)
    metrics.add_metric(name="JobEventsPublished", unit=MetricUnit.Count, value=1)
    return outcome


def announce(stores: Stores, notice: Notice, now: datetime) -> str:
    """The notifier task: the email and the event, each attempted whatever became of the other; if either failed,
    the task fails after both were tried (the state machine retries it, and the one that succeeded is not done
    again). Returns the email's message id."""
    failures: list[Exception] = []
    message_id = ""
    try:
        message_id = deliver_notice(stores, notice, now)
    except Exception as error:  # noqa: BLE001 - raised again below, after the event was tried
        failures.append(error)
    try:
        publish_job_event(stores, notice, now)
    except Exception as error:  # noqa: BLE001 - raised again below
        logger.warning("Job event not published yet", extra={"job_id": notice.job_id}, exc_info=True)
        failures.append(error)
    if failures:
        raise failures[0]
    return message_id
