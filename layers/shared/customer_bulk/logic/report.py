"""The end of a phase: aggregate the chunks' outcomes, write its workbook, finalise the job, prepare the notice.

- apply: the error workbook (invalid rows as uploaded plus an Error column), the job completed;
- preview: the diff workbook, the job previewed until its preview expires;
- rollback: the workbook of customers left alone, the job rolled back.

Runs as the import state machine's first task. It is idempotent: a retried task finds the phase finished and
returns the same notice. A phase whose chunks stopped making progress is finalised with what is known (its missing
rows are "not processed"), so no job hangs.
"""

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.i18n import _, n_, speaking, zone_name_of_region
from customer_bulk.logic.links import file_link
from customer_bulk.logic.outcomes import rows_with_outcomes, upload_headers
from customer_bulk.logic.preview import write_diff_report
from customer_bulk.logic.rollback import customers_in, write_rollback_report
from customer_bulk.masking import mask_text
from customer_bulk.models.decisions import Status
from customer_bulk.models.job import Counts, ImportJob, JobStatus, Phase
from customer_bulk.models.notice import Notice
from customer_bulk.observability import logger, metrics
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores
from customer_bulk.report_names import diff_report_name, error_report_name, rollback_report_name
from customer_bulk.schema import REPORT_COLUMNS
from customer_bulk.settings import get_settings
from customer_bulk.spreadsheet.writer import XLSX, SafeWorkbook

_ACTIVE = (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING, JobStatus.PROCESSING, JobStatus.ROLLING_BACK)


def execution_name(job_id: str, phase: Phase, run: int = 0) -> str:
    """One execution per job, phase and run: a second start of the same one is refused."""
    return job_id if phase is Phase.APPLY else f"{job_id}-{phase.value}-{run}"


def start_report(stores: Stores, job: ImportJob) -> None:
    """Report the job's current phase (and run) as it ends."""
    stores.import_workflow.start(
        execution_name(job.job_id, job.phase, job.run),
        {"tenant_id": job.tenant_id, "job_id": job.job_id, "phase": job.phase.value},
    )


def build_report(stores: Stores, tenant_id: str, job_id: str, now: datetime, phase: Phase = Phase.APPLY) -> Notice:
    job = stores.jobs.require(tenant_id, job_id)
    with speaking(job.language):  # the workbook, the notes and errors it writes: in the job's language
        return _build_report(stores, job, now, phase)


def _build_report(stores: Stores, job: ImportJob, now: datetime, phase: Phase) -> Notice:
    jobs, tenant_id, job_id = stores.jobs, job.tenant_id, job.job_id
    if job.phase is phase and job.status is phase.running_status:
        finish = {Phase.APPLY: _finish, Phase.PREVIEW: _finish_preview, Phase.ROLLBACK: _finish_rollback}[phase]
        job = finish(stores, job, now)
    elif job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING):
        job = jobs.transition(
            tenant_id,
            job_id,
            JobStatus.FAILED,
            _ACTIVE,
            now,
            error_code="stalled",
            error=_("The file could not be split into parts because of an internal error. Please upload it again."),
        )
    return notice_of(stores, job, phase)


def fail_job(
    stores: Stores, tenant_id: str, job_id: str, cause: str, now: datetime, phase: Phase = Phase.APPLY
) -> Notice:
    """The state machine's catch: end the job as failed with a reason, unless it already ended."""
    jobs = stores.jobs
    job = jobs.require(tenant_id, job_id)
    with speaking(job.language):
        return _fail_job(stores, job, cause, now, phase)


def _fail_job(stores: Stores, job: ImportJob, cause: str, now: datetime, phase: Phase) -> Notice:
    jobs, tenant_id, job_id = stores.jobs, job.tenant_id, job.job_id
    # Only the phase that failed: a later phase may have started meanwhile (a rollback while the notice retried).
    before_split = job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING)
    if job.phase is phase and (job.status is phase.running_status or before_split):
        logger.error("Import failed", extra={"job_id": job_id, "phase": phase.value, "cause": mask_text(cause[:500])})
        error = (
            _(
                "The rollback could not be completed because of an internal error. Customers already restored stay "
                "restored; roll the import back again to finish it."
            )
            if phase is Phase.ROLLBACK
            else _(
                "The import could not be completed because of an internal error. Customers already applied "
                "stay applied; import the file again to finish it."
            )
        )
        fields: dict[str, Any] = {"error_code": "internal_error", "error": error}
        if phase is Phase.APPLY:  # what was applied can be rolled back
            fields["undo_until"] = _undo_until(job).isoformat()
        job = jobs.transition(tenant_id, job_id, JobStatus.FAILED, _ACTIVE, now, **fields)
    return notice_of(stores, job, phase)


def report_link(stores: Stores, job: ImportJob, phase: Phase) -> tuple[str | None, str]:
    """(link, or None when there is none; file name) of the workbook a phase of the job wrote."""
    key, name, written_at = {
        Phase.APPLY: (job.error_report_key, error_report_name(job.file_name), job.finished_at),
        Phase.PREVIEW: (job.diff_report_key, diff_report_name(job.file_name), job.previewed_at),
        Phase.ROLLBACK: (job.rollback_report_key, rollback_report_name(job.file_name), job.rolled_back_at),
    }[phase]
    if not key:
        return None, name
    return file_link(stores, job.api_url, job.tenant_id, key, name, written_at or job.updated_at), name


def notice_of(stores: Stores, job: ImportJob, phase: Phase = Phase.APPLY) -> Notice:
    metrics.add_metric(name=f"Imports{job.status.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    settings = get_settings()
    url, report_name = report_link(stores, job, phase)
    return Notice(
        kind={Phase.APPLY: "import", Phase.PREVIEW: "preview", Phase.ROLLBACK: "rollback"}[phase],
        run=job.run_of(phase),
        import_type=job.options.type.value,
        tenant_id=job.tenant_id,
        job_id=job.job_id,
        to=[job.rollback_requested_by or job.requested_by] if phase is Phase.ROLLBACK else [job.requested_by],
        file_name=job.file_name,
        status=job.status.value,
        rows_total=job.rows_total,
        counts=job.preview_counts if phase is Phase.PREVIEW else job.counts,
        rollback_counts=job.rollback_counts if phase is Phase.ROLLBACK else None,
        previewed=job.previewed_at is not None,
        expires_at=job.preview_expires_at if phase is Phase.PREVIEW else None,
        error=job.error,
        notes=job.notes,
        report_url=url,
        report_name=report_name if url else None,
        report_expires_days=max(1, settings.report_url_ttl_s // 86400),
        language=job.language,
        zone=zone_name_of_region(job.settings.default_region),
        ended_at=_ended_at(job, phase),
    )


def _ended_at(job: ImportJob, phase: Phase) -> datetime:
    ended = {Phase.APPLY: job.finished_at, Phase.PREVIEW: job.previewed_at, Phase.ROLLBACK: job.rolled_back_at}
    return ended[phase] or job.updated_at


def _missing(job: ImportJob) -> list[int]:
    missing = [number for number in range(job.chunks_total) if number not in job.counted_chunks]
    if missing:
        logger.warning("Finalising a stalled phase", extra={"job_id": job.job_id, "missing_chunks": len(missing)})
    return missing


def _close_rows(
    stores: Stores, job: ImportJob, phase: Phase, counts: Counts
) -> tuple[set[int], Counts, dict[str, Any]]:
    """(chunks that never finished, the counts with their rows as not processed, the job fields that say so)."""
    missing = _missing(job)
    fields: dict[str, Any] = {}
    if missing:
        paths = JobPaths(job.tenant_id, job.job_id)
        unprocessed = sum(len(stores.files.read_json_lines(paths.chunk(number))) for number in missing)
        counts = counts.model_copy(update={"not_processed": counts.not_processed + unprocessed})
        fields["count"] = (phase, "not_processed", counts.not_processed)
        fields["notes"] = [
            *job.notes,
            n_(
                "{count} row was not processed: the import stopped making progress.",
                "{count} rows were not processed: the import stopped making progress.",
                unprocessed,
            ),
        ]
    return set(missing), counts, fields


def _finish(stores: Stores, job: ImportJob, now: datetime) -> ImportJob:
    missing, counts, fields = _close_rows(stores, job, Phase.APPLY, job.counts)
    if counts.invalid or counts.not_processed or counts.warnings or counts.stale:
        key = JobPaths(job.tenant_id, job.job_id).report(error_report_name(job.file_name))
        _write_error_report(stores, job, key, missing)
        fields["error_report_key"] = key
    fields["undo_until"] = _undo_until(job).isoformat()
    return stores.jobs.transition(
        job.tenant_id, job.job_id, JobStatus.COMPLETED, (JobStatus.PROCESSING,), now, **fields
    )


def _undo_until(job: ImportJob) -> datetime:
    """S3 keeps each before-image at least the retention days from its writing, which came after the apply began."""
    return (job.confirmed_at or job.created_at) + timedelta(days=job.settings.undo_retention_days)


def _finish_preview(stores: Stores, job: ImportJob, now: datetime) -> ImportJob:
    missing, counts, fields = _close_rows(stores, job, Phase.PREVIEW, job.preview_counts)
    expires_at = now + timedelta(hours=job.settings.preview_hours)
    key = JobPaths(job.tenant_id, job.job_id).report(diff_report_name(job.file_name))
    write_diff_report(stores, job, key, missing, counts, expires_at)
    return stores.jobs.transition(
        job.tenant_id, job.job_id, JobStatus.PREVIEWED, (JobStatus.PROCESSING,), now, diff_report_key=key,
        previewed_at=now.isoformat(), preview_expires_at=expires_at.isoformat(), **fields,
    )  # fmt: skip


def _finish_rollback(stores: Stores, job: ImportJob, now: datetime) -> ImportJob:
    missing = _missing(job)
    fields: dict[str, Any] = {}
    counts = job.rollback_counts
    if missing:
        unprocessed = sum(len(customers_in(stores, job, number)) for number in missing)
        counts = counts.model_copy(update={"not_processed": counts.not_processed + unprocessed})
        fields["count"] = (Phase.ROLLBACK, "not_processed", counts.not_processed)
    if counts.left_alone or counts.not_processed:
        key = JobPaths(job.tenant_id, job.job_id).report(rollback_report_name(job.file_name))
        write_rollback_report(stores, job, key, set(missing))
        fields["rollback_report_key"] = key
    return stores.jobs.transition(
        job.tenant_id, job.job_id, JobStatus.ROLLED_BACK, (JobStatus.ROLLING_BACK,), now,
        rolled_back_at=now.isoformat(), **fields,
    )  # fmt: skip


def _write_error_report(stores: Stores, job: ImportJob, key: str, stalled: set[int]) -> None:
    """Invalid rows exactly as uploaded plus an Error column (re-importable as is), and a sheet of warnings."""
    headers = upload_headers(job)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "report.xlsx"
        with SafeWorkbook(path) as book:
            invalid = book.add_sheet(_("Invalid rows"), [*headers, _(REPORT_COLUMNS[0])])
            warned = book.add_sheet(_("Warnings"), [_("Row"), *headers, _(REPORT_COLUMNS[1])])
            for row, cells, outcome in rows_with_outcomes(stores, job, stalled, Phase.APPLY):
                padded = [*cells, *[""] * (len(headers) - len(cells))][: len(headers)]
                if outcome.status in (Status.INVALID, Status.NOT_PROCESSED, Status.STALE):
                    invalid.write_row([*padded, _row_message(row, outcome.errors)], book.error)
                elif outcome.warnings:
                    warned.write_row([row, *padded, "; ".join(outcome.warnings)], book.warning)
            invalid.finish()
            warned.finish()
        stores.files.put_file(key, path, XLSX)


def _row_message(row: int, errors: list[str]) -> str:
    return _("Row {row}: {errors}", row=str(row), errors="; ".join(errors))
