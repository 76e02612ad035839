"""The end of an import: aggregate the chunks' outcomes, write the error workbook, finalise the job.

Runs as the import state machine's first task. It is idempotent: a retried task finds the job finished and returns
the same notice. A job whose chunks stopped making progress is finalised with what is known (its missing rows are
"not processed"), so no job hangs.
"""

import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.dal import file_store, import_workflow, job_store
from customer_bulk.errors import NotFoundError
from customer_bulk.logic.matching import RowOutcome, Status
from customer_bulk.models.job import ImportJob, JobStatus
from customer_bulk.models.notice import Notice
from customer_bulk.observability import logger, metrics
from customer_bulk.paths import JobPaths
from customer_bulk.report_names import error_report_name
from customer_bulk.schema import REPORT_COLUMNS
from customer_bulk.settings import get_settings
from customer_bulk.spreadsheet.writer import SafeWorkbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_PROCESSED = "Not processed: this part of the file failed repeatedly; import these rows again"
STALLED = "Not processed: the import stopped making progress before reaching this row; import these rows again"
_ACTIVE = (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING, JobStatus.PROCESSING)


def start_report(tenant_id: str, job_id: str) -> None:
    import_workflow().start(job_id, {"tenant_id": tenant_id, "job_id": job_id})


def build_report(tenant_id: str, job_id: str, now: datetime) -> Notice:
    jobs = job_store()
    job = jobs.get(tenant_id, job_id)
    if job is None:
        raise NotFoundError(f"No import {job_id}.")
    if job.status is JobStatus.PROCESSING:
        job = _finish(job, now)
    elif job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING):
        job = jobs.transition(
            tenant_id,
            job_id,
            JobStatus.FAILED,
            _ACTIVE,
            now,
            error_code="stalled",
            error="The file could not be split into parts because of an internal error. Please upload it again.",
        )
    return notice_of(job)


def fail_job(tenant_id: str, job_id: str, cause: str, now: datetime) -> Notice:
    """The state machine's catch: end the job as failed with a reason, unless it already ended."""
    jobs = job_store()
    job = jobs.get(tenant_id, job_id)
    if job is None:
        raise NotFoundError(f"No import {job_id}.")
    if not job.status.is_final:
        logger.error("Import failed", extra={"job_id": job_id, "cause": cause[:500]})
        job = jobs.transition(
            tenant_id,
            job_id,
            JobStatus.FAILED,
            _ACTIVE,
            now,
            error_code="internal_error",
            error="The import could not be completed because of an internal error. Customers already applied "
            "stay applied; import the file again to finish it.",
        )
    return notice_of(job)


def notice_of(job: ImportJob) -> Notice:
    metrics.add_metric(name=f"Imports{job.status.value.capitalize()}", unit=MetricUnit.Count, value=1)
    url = name = None
    settings = get_settings()
    if job.error_report_key:
        name = error_report_name(job.file_name)
        url = file_store().presigned_download(job.error_report_key, name, settings.report_url_ttl_s)
    return Notice(
        tenant_id=job.tenant_id,
        job_id=job.job_id,
        to=[job.requested_by],
        file_name=job.file_name,
        status=job.status.value,
        rows_total=job.rows_total,
        counts=job.counts,
        error=job.error,
        notes=job.notes,
        report_url=url,
        report_name=name,
        report_expires_days=max(1, settings.report_url_ttl_s // 86400),
    )


def _finish(job: ImportJob, now: datetime) -> ImportJob:
    missing = [number for number in range(job.chunks_total) if number not in job.counted_chunks]
    paths = JobPaths(job.tenant_id, job.job_id)
    fields: dict[str, Any] = {}
    if missing:
        logger.warning("Finalising a stalled import", extra={"job_id": job.job_id, "missing_chunks": len(missing)})
        unprocessed = sum(len(file_store().read_json_lines(paths.chunk(number))) for number in missing)
        fields["n_not_processed"] = job.counts.not_processed + unprocessed
        fields["notes"] = [*job.notes, f"{unprocessed:,} rows were not processed: the import stopped making progress."]
    counts = job.counts.model_copy(update={"not_processed": fields.get("n_not_processed", job.counts.not_processed)})
    if counts.invalid or counts.not_processed or counts.warnings or counts.stale:
        key = paths.report(error_report_name(job.file_name))
        _write_error_report(job, key, set(missing))
        fields["error_report_key"] = key
    return job_store().transition(
        job.tenant_id, job.job_id, JobStatus.COMPLETED, (JobStatus.PROCESSING,), now, **fields
    )


def _write_error_report(job: ImportJob, key: str, stalled: set[int]) -> None:
    """Invalid rows exactly as uploaded plus an Error column (re-importable as is), and a sheet of warnings."""
    headers = [header or f"Column {index + 1}" for index, header in enumerate(job.headers)]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "report.xlsx"
        with SafeWorkbook(path) as book:
            invalid = book.add_sheet("Invalid rows", [*headers, REPORT_COLUMNS[0]])
            warned = book.add_sheet("Warnings", ["Row", *headers, REPORT_COLUMNS[1]])
            for row, cells, outcome in _rows_with_outcomes(job, stalled):
                padded = [*cells, *[""] * (len(headers) - len(cells))][: len(headers)]
                if outcome.status in (Status.INVALID, Status.NOT_PROCESSED, Status.STALE):
                    invalid.write_row([*padded, _row_message(row, outcome.errors)], book.error)
                elif outcome.warnings:
                    warned.write_row([row, *padded, "; ".join(outcome.warnings)], book.warning)
            invalid.finish()
            warned.finish()
        file_store().put_file(key, path, XLSX)


def _rows_with_outcomes(job: ImportJob, stalled: set[int]) -> Iterator[tuple[int, list[str], RowOutcome]]:
    """Each chunk's rows beside their outcomes, one chunk in memory at a time."""
    paths = JobPaths(job.tenant_id, job.job_id)
    files = file_store()
    for number in range(job.chunks_total):
        records = files.read_json_lines(paths.chunk(number))
        if number in job.failed_chunks or number in stalled:
            reason = NOT_PROCESSED if number in job.failed_chunks else STALLED
            for record in records:
                yield record["r"], record["v"], RowOutcome(record["r"], Status.NOT_PROCESSED, errors=[reason])
            continue
        decision = files.get_json(paths.decision(number)) or {"outcomes": []}
        outcomes = {item["row"]: RowOutcome.from_json(item) for item in decision["outcomes"]}
        for record in records:
            outcome = outcomes.get(record["r"]) or RowOutcome(record["r"], Status.NOT_PROCESSED, errors=[STALLED])
            yield record["r"], record["v"], outcome


def _row_message(row: int, errors: list[str]) -> str:
    return f"Row {row}: " + "; ".join(errors)
