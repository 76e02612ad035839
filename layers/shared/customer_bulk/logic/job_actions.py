"""What an admin does to an import after its upload: confirm or cancel a preview, roll back an applied import.

Confirm and rollback start a new phase: one message per chunk on the tenant's FIFO group (so they are serialised
with the tenant's other imports, docs/adr/0003), fresh counters, and a notice of their own when the phase ends.
"""

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.errors import ConflictError, NotFoundError, utc_time
from customer_bulk.i18n import N_, _, n_
from customer_bulk.models.job import ChunkMessage, ImportJob, JobStatus, Phase
from customer_bulk.observability import logger, metrics
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings

# Attributes a new phase starts without: the previous phase's notice.
_NOTICE = ("notified_at", "notice_message_id", "notice_error")


def chunk_messages(job: ImportJob, reverse: bool = False) -> list[ChunkMessage]:
    """A message for every chunk the job's current phase (and run) has not counted yet (a rollback goes last
    applied first, undoing the latest writes first: ``undo_order``)."""
    paths = JobPaths(job.tenant_id, job.job_id)
    size = job.chunk_rows or get_settings().chunk_rows
    order = undo_order(job) if reverse else range(job.chunks_total)
    numbers = [number for number in order if number not in job.counted_chunks]
    return [
        ChunkMessage(
            tenant_id=job.tenant_id,
            job_id=job.job_id,
            chunk=number,
            key=paths.chunk(number),
            rows=min(size, job.rows_total - number * size),
            phase=job.phase,
            run=job.run,
            group=job.chunk_groups[number] if number < len(job.chunk_groups) else 0,
        )
        for number in numbers
    ]


def undo_order(job: ImportJob) -> list[int]:
    """The applied chunks, last applied first: by chunk number, last first (chunks sharing a key ran in file order
    in one message group), except where a chunk wrote over another's write of the same customer
    (logic.chunks.undo_edges): it is undone first. A cycle (two chunks each writing after the other, on two
    customers) falls back to chunk number; the customer undone out of order is then left alone and reported."""
    stamped = {stamp: int(chunk) for chunk, _, stamp in (entry.partition("@") for entry in job.applied_stamps)}
    undone_first: dict[int, set[int]] = {}
    for edge in job.undo_first:
        chunk, _, stamp = edge.partition("<")
        if (written_by := stamped.get(stamp)) is not None and written_by != int(chunk):
            undone_first.setdefault(written_by, set()).add(int(chunk))
    remaining = sorted(range(job.chunks_total), reverse=True)
    order: list[int] = []
    done: set[int] = set()
    while remaining:
        ready = next((c for c in remaining if undone_first.get(c, set()) <= done), remaining[0])
        order.append(ready)
        done.add(ready)
        remaining.remove(ready)
    return order


def require_import(stores: Stores, tenant_id: str, job_id: str) -> ImportJob:
    """The tenant's job, or ``NotFoundError`` saying so in the language in force (another tenant's job does not
    exist for this one)."""
    job = stores.jobs.get(tenant_id, job_id)
    if job is None:
        raise NotFoundError(_("No import {job_id}.", job_id=job_id))
    return job


def confirm_import(stores: Stores, tenant_id: str, job_id: str, now: datetime) -> ImportJob:
    """Apply exactly the previewed file with the previewed options. Rows whose customer changed since the preview
    are reported, not applied (logic.matching). A repeated request changes nothing."""
    job = require_import(stores, tenant_id, job_id)
    if _confirmed(job):
        return _resend_if_running(stores, job)
    if job.status is not JobStatus.PREVIEWED:
        raise ConflictError(_not_previewed(job))
    if job.preview_expires_at is not None and now >= job.preview_expires_at:
        expire_preview(stores, job, now)
        raise ConflictError(
            _(
                "The preview expired at {expired_at} and can no longer be confirmed; import the file again.",
                expired_at=utc_time(job.preview_expires_at),
            )
        )
    try:
        job = stores.jobs.transition(
            tenant_id, job_id, JobStatus.PROCESSING, (JobStatus.PREVIEWED,), now, remove=_NOTICE,
            phase=Phase.APPLY.value, confirmed_at=now.isoformat(),
        )  # fmt: skip
    except ConflictError:  # a concurrent confirm, cancel or expiry won
        job = require_import(stores, tenant_id, job_id)
        if _confirmed(job):
            return job
        raise ConflictError(_not_previewed(job)) from None
    stores.chunk_queue.send(chunk_messages(job))
    metrics.add_metric(name="PreviewsConfirmed", unit=MetricUnit.Count, value=1)
    return job


def _confirmed(job: ImportJob) -> bool:
    return job.confirmed_at is not None


def _resend_if_running(stores: Stores, job: ImportJob) -> ImportJob:
    """A repeated confirm or rollback while its phase runs: send the chunks the phase has not counted yet again, in
    case the first request stopped between changing the job and queueing them (duplicates are harmless: SQS drops
    them within five minutes, and a counted chunk is acknowledged without effect)."""
    if job.status is job.phase.running_status and job.phase is not Phase.PREVIEW:
        stores.chunk_queue.send(chunk_messages(job, reverse=job.phase is Phase.ROLLBACK))
    return job


def cancel_import(stores: Stores, tenant_id: str, job_id: str, now: datetime) -> ImportJob:
    """Discard a preview, a mapping waiting for review, or an import whose file never came: nothing was written,
    so only its files go."""
    job = require_import(stores, tenant_id, job_id)
    if job.status is JobStatus.CANCELLED:
        return job
    if job.status not in _CANCELLABLE:
        raise ConflictError(_not_cancellable(job))
    try:
        job = stores.jobs.transition(tenant_id, job_id, JobStatus.CANCELLED, _CANCELLABLE, now)
    except ConflictError:
        job = require_import(stores, tenant_id, job_id)
        if job.status is JobStatus.CANCELLED:
            return job
        raise ConflictError(_not_cancellable(job)) from None
    _discard_files(stores, job)
    metrics.add_metric(name="PreviewsCancelled", unit=MetricUnit.Count, value=1)
    return job


_CANCELLABLE = (JobStatus.PREVIEWED, JobStatus.MAPPED, JobStatus.AWAITING_UPLOAD)


def expire_preview(stores: Stores, job: ImportJob, now: datetime) -> None:
    """A preview (or a mapping review) nobody went on with in time."""
    try:
        expired = stores.jobs.transition(
            job.tenant_id, job.job_id, JobStatus.EXPIRED, (JobStatus.PREVIEWED, JobStatus.MAPPED), now
        )
    except ConflictError:
        return  # confirmed or cancelled meanwhile
    logger.info("Preview expired", extra={"job_id": job.job_id})
    _discard_files(stores, expired)


def request_rollback(
    stores: Stores, tenant_id: str, job_id: str, requested_by: str, now: datetime
) -> tuple[ImportJob, bool]:
    """(the job, whether this call started a rollback). Rolling back again changes nothing, unless the last run
    failed or could not process some customers: then it runs again (restored customers stay restored)."""
    job = require_import(stores, tenant_id, job_id)
    if job.status is JobStatus.ROLLING_BACK or (job.status is JobStatus.ROLLED_BACK and not _unfinished(job)):
        return _resend_if_running(stores, job), False
    if job.phase is Phase.APPLY:
        if job.status not in (JobStatus.COMPLETED, JobStatus.FAILED):
            raise ConflictError(_nothing_to_undo(job))
        if job.chunks_total == 0:
            raise ConflictError(_("Nothing was imported from this file, so there is nothing to roll back."))
    elif job.phase is not Phase.ROLLBACK:
        raise ConflictError(_nothing_to_undo(job))
    if job.undo_until is None:
        raise ConflictError(_("This import cannot be rolled back: its previous values were not kept."))
    if now >= job.undo_until or _before_images_missing(stores, job):
        raise ConflictError(
            n_(
                "This import can no longer be rolled back: its previous values were kept for {count} day, "
                "until {until}.",
                "This import can no longer be rolled back: its previous values were kept for {count} days, "
                "until {until}.",
                job.settings.undo_retention_days,
                until=utc_time(job.undo_until),
            )
        )
    try:
        job = stores.jobs.start_rollback(
            tenant_id, job_id, job.status, job.rollback_runs + 1, requested_by, now, remove=_NOTICE
        )
    except ConflictError:  # a concurrent request started it
        return require_import(stores, tenant_id, job_id), False
    stores.chunk_queue.send(chunk_messages(job, reverse=True))
    logger.info("Rollback started", extra={"job_id": job_id, "run": job.rollback_runs, "chunks": job.chunks_total})
    metrics.add_metric(name="RollbacksStarted", unit=MetricUnit.Count, value=1)
    return job, True


def _before_images_missing(stores: Stores, job: ImportJob) -> bool:
    """Whether a chunk that was applied has lost its recorded before-images (expired, or never kept)."""
    paths = JobPaths(job.tenant_id, job.job_id)
    kept = set(stores.files.keys_under(paths.decisions(Phase.APPLY)))
    return any(paths.decision(number) not in kept for number in job.chunks(Phase.APPLY).done)


def _unfinished(job: ImportJob) -> bool:
    """A finished rollback that could not process some customers (a part of it failed repeatedly)."""
    return job.phase is Phase.ROLLBACK and job.rollback_counts.not_processed > 0


def _discard_files(stores: Stores, job: ImportJob) -> None:
    """The upload and what the preview made of it; the diff workbook stays until its link expires."""
    paths = JobPaths(job.tenant_id, job.job_id)
    files = stores.files
    prefixes = (paths.upload_prefix, paths.chunks, paths.decisions(Phase.PREVIEW))
    files.delete_keys([key for prefix in prefixes for key in files.keys_under(prefix)])


def _not_previewed(job: ImportJob) -> str:
    if _confirmed(job):
        return _("This preview was confirmed already.")
    if job.status in (JobStatus.FAILED, JobStatus.REJECTED) and job.options.preview:
        reason = job.error or _("see its email")
        if job.status is JobStatus.FAILED:
            return _("The preview failed, so there is nothing to confirm: {reason}", reason=reason)
        return _("The preview rejected, so there is nothing to confirm: {reason}", reason=reason)
    if job.status is JobStatus.EXPIRED:
        return _("The preview expired and can no longer be confirmed; import the file again.")
    if job.status is JobStatus.CANCELLED:
        return _("The preview was cancelled; import the file again to apply it.")
    if job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING, JobStatus.PROCESSING):
        return _("The preview is not ready yet; confirm it once its changes are shown.")
    return _("Only a previewed import can be confirmed; this one was not previewed.")


# A whole sentence for each state that reaches it, so a translation can agree with the state (a state not listed
# here, which the checks before never let through, is named by its code).
_NOT_CANCELLABLE = {
    JobStatus.COMPLETED: N_("The import is completed; only a preview waiting for confirmation can be cancelled."),
    JobStatus.REJECTED: N_("The import is rejected; only a preview waiting for confirmation can be cancelled."),
    JobStatus.FAILED: N_("The import is failed; only a preview waiting for confirmation can be cancelled."),
    JobStatus.EXPIRED: N_("The import is expired; only a preview waiting for confirmation can be cancelled."),
    JobStatus.ROLLING_BACK: N_("The import is rolling back; only a preview waiting for confirmation can be cancelled."),
    JobStatus.ROLLED_BACK: N_("The import is rolled back; only a preview waiting for confirmation can be cancelled."),
}
_NOT_APPLIED = {
    JobStatus.REJECTED: N_("The import is rejected: nothing of it was applied, so there is nothing to roll back."),
    JobStatus.FAILED: N_("The import is failed: nothing of it was applied, so there is nothing to roll back."),
    JobStatus.CANCELLED: N_("The import is cancelled: nothing of it was applied, so there is nothing to roll back."),
    JobStatus.EXPIRED: N_("The import is expired: nothing of it was applied, so there is nothing to roll back."),
}


def _not_cancellable(job: ImportJob) -> str:
    if job.status in (JobStatus.SPLITTING, JobStatus.PROCESSING):
        return _("The import is running; a preview can be cancelled once its changes are shown.")
    if job.status in _NOT_CANCELLABLE:
        return _(_NOT_CANCELLABLE[job.status])
    # Translators: {status} is the import's state as clients read it (rolled back, awaiting upload), untranslated.
    return _(
        "The import is {status}; only a preview waiting for confirmation can be cancelled.",
        status=job.status.value.replace("_", " "),
    )


def _nothing_to_undo(job: ImportJob) -> str:
    if job.status is JobStatus.PREVIEWED:
        return _("A preview changed nothing, so there is nothing to roll back; cancel it instead.")
    if job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING, JobStatus.PROCESSING):
        return _("The import is still running; roll it back once it has finished.")
    if job.status in _NOT_APPLIED:
        return _(_NOT_APPLIED[job.status])
    # Translators: {status} is the import's state as clients read it (rolled back, awaiting upload), untranslated.
    return _(
        "The import is {status}: nothing of it was applied, so there is nothing to roll back.",
        status=job.status.value.replace("_", " "),
    )
