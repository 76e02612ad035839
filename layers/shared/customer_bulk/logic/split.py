"""Splitting an uploaded file into chunks for the validators.

Everything that can refuse the whole file happens here, before any customer is touched: size, format, hostile
archives, the row limit, a missing key column. The splitter is also the only step that sees the whole file, so it
finds keys that repeat across the file: the first occurrence wins, later ones are marked for the validator. And it
spreads the chunks over the tenant's message groups so several run at once, keeping chunks whose rows share a key
(through either key) in one group, in file order.
"""

import bisect
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.errors import ConflictError, FileRejected
from customer_bulk.i18n import _, speaking
from customer_bulk.logic.job_actions import chunk_messages
from customer_bulk.logic.report import start_report
from customer_bulk.logic.review import review_of_table, save_review
from customer_bulk.models.job import ChunkMessage, ImportJob, ImportOptions, ImportType, JobStatus, MatchKey
from customer_bulk.models.mapping import MappingReview, MatchedBy
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.observability import logger, metrics
from customer_bulk.paths import JobPaths, parse_upload_key
from customer_bulk.ports import Stores
from customer_bulk.schema import BALANCE_SCHEMA, DEFAULT_SCHEMA, HeaderMapping, headers_signature, schema_for
from customer_bulk.settings import get_settings
from customer_bulk.spreadsheet.isolated import open_table_isolated
from customer_bulk.spreadsheet.reader import Table
from customer_bulk.spreadsheet.safety import check_size, sniff_format
from customer_bulk.validation import RowContext, key_values, primary_key

BALANCE_REQUIRED = ("phone", "email", "opening_spend")


@dataclass(slots=True)
class SplitResult:
    rows_total: int = 0
    chunks: list[ChunkMessage] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)


def split_upload(stores: Stores, key: str, size: int, now: datetime) -> None:
    parsed = parse_upload_key(key)
    if parsed is None:
        logger.warning("Ignoring an object that is not an import upload", extra={"key_prefix": key[:40]})
        return
    tenant_id, job_id = parsed
    jobs = stores.jobs
    job = jobs.get(tenant_id, job_id)
    if job is None:
        logger.warning("Ignoring an upload for an unknown job", extra={"job_id": job_id})
        return
    if job.status is JobStatus.PROCESSING:
        # A redelivered upload event after the chunks were recorded: re-send them (deduplicated downstream).
        stores.chunk_queue.send(chunk_messages(job))
        return
    with speaking(job.language):  # a rejection, the notes: said in the job's language
        _split(stores, job, key, size, now)


def _split(stores: Stores, job: ImportJob, key: str, size: int, now: datetime) -> None:
    jobs, tenant_id, job_id = stores.jobs, job.tenant_id, job.job_id
    try:
        job = jobs.transition(
            tenant_id,
            job_id,
            JobStatus.SPLITTING,
            (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING),
            now,
            upload_key=key,
        )
    except ConflictError:
        logger.info("Upload event for a job that has moved on", extra={"job_id": job_id, "status": job.status})
        return

    paths = JobPaths(tenant_id, job_id)
    written: list[str] = []
    review: MappingReview | None = None
    try:
        check_size(size, job.settings)
        with tempfile.TemporaryDirectory() as scratch:
            local = Path(scratch) / "upload"
            stores.files.download(key, local)
            table = read_upload(local, job.file_name, job.settings, job.options)
            try:
                mapping, chosen_by = _map_columns(stores, table, job, now)
                value_map = _value_map(stores, job, mapping)
                if job.options.review_mapping and job.mapping_reviewed_at is None:
                    # The admin maps the columns (a key column too) before anything is checked row by row.
                    review = review_of_table(job, table, mapping, chosen_by, value_map)
                else:
                    job = _matched_by_id_without_keys(job, mapping)
                    _check_mapping(table, mapping, job)
                    result = _write_chunks(stores, table, mapping, job, paths, written)
            finally:
                table.close()  # a file refused before its last row must not leave its reader running
    except FileRejected as rejection:
        stores.files.delete_keys(written)
        job = jobs.transition(
            tenant_id,
            job_id,
            JobStatus.REJECTED,
            (JobStatus.SPLITTING,),
            now,
            error_code=rejection.code,
            error=rejection.message,
        )
        logger.info("File rejected", extra={"job_id": job_id, "code": rejection.code})
        metrics.add_metric(name="FilesRejected", unit=MetricUnit.Count, value=1)
        start_report(stores, job)
        return

    if review is not None:
        save_review(stores, job, review)
        jobs.transition(
            tenant_id, job_id, JobStatus.MAPPED, (JobStatus.SPLITTING,), now, rows_total=review.rows_total,
            headers=table.headers, header_row=table.header_row, fields=mapping.fields, notes=mapping.notes,
            upload_size=size, preview_expires_at=(now + timedelta(hours=job.settings.preview_hours)).isoformat(),
        )  # fmt: skip
        logger.info("File mapped for review", extra={"job_id": job_id, "rows": review.rows_total})
        return
    job = jobs.transition(
        tenant_id,
        job_id,
        JobStatus.PROCESSING,
        (JobStatus.SPLITTING,),
        now,
        options=job.options.model_dump(mode="json"),
        value_map=value_map,
        rows_total=result.rows_total,
        chunk_rows=get_settings().chunk_rows,
        chunks_total=len(result.chunks),
        chunk_groups=result.groups,
        headers=table.headers,
        header_row=table.header_row,
        fields=mapping.fields,
        notes=mapping.notes,
    )
    stores.chunk_queue.send(result.chunks)
    logger.info("File split", extra={"job_id": job_id, "rows": result.rows_total, "chunks": len(result.chunks)})
    metrics.add_metric(name="RowsUploaded", unit=MetricUnit.Count, value=result.rows_total)


def read_upload(local: Path, file_name: str, settings: TenantSettings, options: ImportOptions) -> Table:
    """The upload's table, read where a hostile file cannot hurt (isolated), or ``FileRejected``."""
    file_format = sniff_format(local, file_name)
    # The reader tells formats by extension: the file gets the one its bytes have (a renamed file too).
    local = local.rename(local.with_suffix(f".{file_format}"))
    return open_table_isolated(local, file_format, settings, options.type, options.sheet)


def examine_upload(local: Path, file_name: str, settings: TenantSettings, options: ImportOptions) -> int:
    """Every check the splitter makes of a file, without storing anything: its customer rows, or
    ``FileRejected`` with the reason the admin would be emailed (the hostile-file corpus runs through this)."""
    check_size(local.stat().st_size, settings)
    table = read_upload(local, file_name, settings, options)
    schema = schema_for(settings, options.type)
    job = ImportJob(
        tenant_id="examined", job_id="0" * 26, requested_by="-", api_url="-", file_name=file_name,
        upload_key="-", options=options, settings=settings,
        created_at=datetime.min, updated_at=datetime.min,
    )  # fmt: skip
    try:
        _check_mapping(table, schema.map_headers(table.headers, options.mapping), job)
        rows = 0
        remaining = iter(table.rows)
        for _row in remaining:
            rows += 1
            if rows > settings.max_rows:
                raise _too_many_rows(rows, remaining, settings.max_rows)
    finally:
        table.close()
    if not rows:
        raise _no_data(table)
    return rows


def _too_many_rows(seen: int, remaining: Iterator[Any], limit: int) -> FileRejected:
    total = seen + sum(1 for _row in remaining)
    return FileRejected(
        "too_many_rows",
        _("The file has {total} customer rows; the limit is {limit} per import.", total=total, limit=limit),
    )


def _no_data(table: Table) -> FileRejected:
    return FileRejected(
        "no_data",
        _("The file has a header row (row {row}) but no customers below it.", row=str(table.header_row)),
    )


def _map_columns(stores: Stores, table: Table, job: ImportJob, now: datetime) -> tuple[HeaderMapping, MatchedBy | None]:
    """The admin's explicit mapping, else the one remembered for these headers, else the guess from aliases (and
    which of the first two chose it)."""
    schema = schema_for(job.settings, job.options.type)
    signature = headers_signature(table.headers)
    explicit = job.options.mapping
    remembered = None if explicit else stores.jobs.remembered_mapping(job.tenant_id, signature)
    mapping = schema.map_headers(table.headers, explicit or remembered)
    if explicit:
        stores.jobs.remember_mapping(
            job.tenant_id, signature, dict(zip(table.headers, mapping.fields, strict=True)), now
        )
        return mapping, MatchedBy.EXPLICIT
    if remembered:
        mapping.notes.insert(0, _("The column mapping chosen for your last file with these columns was used again."))
        return mapping, MatchedBy.REMEMBERED
    return mapping, None


def _matched_by_id_without_keys(job: ImportJob, mapping: HeaderMapping) -> ImportJob:
    """A file with our Customer ID column but no Email or Phone (an export narrowed to a few columns) can only update
    the customers it names: matched automatically, it is matched by id, and the admin is told."""
    if job.options.match_key is not MatchKey.AUTO or mapping.key_fields or "customer_id" not in mapping.fields:
        return job
    if job.options.type is ImportType.OPENING_BALANCE:
        return job
    mapping.notes.append(_("The file has no Email or Phone column: its rows were matched to customers by Customer ID."))
    options = job.options.model_copy(update={"match_key": MatchKey.CUSTOMER_ID})
    return job.model_copy(update={"options": options})


def _value_map(stores: Stores, job: ImportJob, mapping: HeaderMapping) -> dict[str, dict[str, str]]:
    """The admin's value map for this import, else the one remembered for the tenant, for the mapped fields."""
    chosen = job.options.values if job.options.values is not None else stores.jobs.remembered_values(job.tenant_id)
    return {name: pairs for name, pairs in chosen.items() if name in mapping.fields and pairs}


def _check_mapping(table: Table, mapping: HeaderMapping, job: ImportJob) -> None:
    keys = mapping.key_fields
    headers = ", ".join(f'"{header}"' for header in table.headers if header) or _("none")
    row = str(table.header_row)
    if job.options.type is ImportType.OPENING_BALANCE:
        missing = [BALANCE_SCHEMA[name].label for name in BALANCE_REQUIRED if name not in mapping.fields]
        if missing:
            raise FileRejected(
                "no_key_column",
                _(
                    "An opening balance needs Phone, Email and Opening Spend (DTDauKy) columns; this file has no "
                    "{missing} column (header row {row}: {headers}).",
                    missing=_(" or ").join(missing),
                    row=row,
                    headers=headers,
                ),
            )
        return
    if not keys and job.options.match_key is not MatchKey.CUSTOMER_ID:
        raise FileRejected(
            "no_key_column",
            _(
                "The file has no Email or Phone column, so no row could be matched to a customer "
                "(header row {row}: {headers}).",
                row=row,
                headers=headers,
            ),
        )
    required = {MatchKey.EMAIL: "email", MatchKey.PHONE: "phone", MatchKey.CUSTOMER_ID: "customer_id"}.get(
        job.options.match_key
    )
    if required and required not in mapping.fields:
        label = DEFAULT_SCHEMA[required].label
        raise FileRejected(
            "no_key_column",
            _(
                "This import matches customers by {field}, but the file has no {label} column "
                "(header row {row}: {headers}).",
                field=label.lower(),
                label=label,
                row=row,
                headers=headers,
            ),
        )


def _write_chunks(
    stores: Stores, table: Table, mapping: HeaderMapping, job: ImportJob, paths: JobPaths, written: list[str]
) -> SplitResult:
    chunk_rows = get_settings().chunk_rows
    limit = job.settings.max_rows
    context = RowContext(table.headers, mapping.fields, job.settings, job.options.match_key, job.options.type)
    first_seen: dict[str, dict[str, int]] = {"email": {}, "phone": {}, "customer_id": {}}
    result = SplitResult()
    buffer: list[dict[str, Any]] = []
    linked = ChunkLinks()

    def flush() -> None:
        number = len(result.chunks)
        key = paths.chunk(number)
        stores.files.put_json_lines(key, buffer)
        written.append(key)
        result.chunks.append(
            ChunkMessage(
                tenant_id=job.tenant_id, job_id=job.job_id, chunk=number, key=key, rows=len(buffer), phase=job.phase
            )
        )
        buffer.clear()

    rows = iter(table.rows)
    for number, cells in rows:
        result.rows_total += 1
        if result.rows_total > limit:
            raise _too_many_rows(result.rows_total, rows, limit)
        if not buffer:
            linked.start(number)
        record = _chunk_record(number, cells, context, first_seen)
        for first_row in (*record.get("dup", {}).values(), *record.get("shared", {}).values()):
            linked.link(first_row)
        buffer.append(record)
        if len(buffer) >= chunk_rows:
            flush()
    if buffer:
        flush()
    if not result.rows_total:
        raise _no_data(table)
    result.groups = linked.groups(get_settings().message_groups)
    result.chunks = [
        chunk.model_copy(update={"group": group}) for chunk, group in zip(result.chunks, result.groups, strict=True)
    ]
    return result


class ChunkLinks:
    """Which chunks hold rows sharing a key: they must share a message group (union-find over chunk numbers)."""

    def __init__(self) -> None:
        self.first_rows: list[int] = []  # each chunk's first row number (rows come in increasing order)
        self.parent: list[int] = []

    def start(self, first_row: int) -> None:
        self.first_rows.append(first_row)
        self.parent.append(len(self.parent))

    def link(self, earlier_row: int) -> None:
        """The current chunk has a row sharing a key with ``earlier_row``."""
        earlier = bisect.bisect_right(self.first_rows, earlier_row) - 1
        self.parent[self._root(len(self.parent) - 1)] = self._root(earlier)

    def groups(self, count: int) -> list[int]:
        """Each chunk's group: linked chunks share their first chunk's; others take turns."""
        return [self._root(chunk) % count for chunk in range(len(self.parent))]

    def _root(self, chunk: int) -> int:
        while self.parent[chunk] != chunk:
            self.parent[chunk] = self.parent[self.parent[chunk]]
            chunk = self.parent[chunk]
        return chunk


def _chunk_record(
    number: int, cells: list[str], context: RowContext, first_seen: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """The row as uploaded, plus where its keys first appeared when this is not their first row."""
    while cells and not cells[-1]:
        cells = cells[:-1]
    record: dict[str, Any] = {"r": number, "v": cells}
    email, phone, ref = key_values(cells, context)
    primary = primary_key(email, phone, context.match_key, ref)
    if primary is None:
        return record  # the validator rejects it with the reason
    key_field, value = primary
    if value in first_seen[key_field]:
        record["dup"] = {key_field: first_seen[key_field][value]}
        return record
    first_seen[key_field][value] = number
    shared = {}
    for other_field, other_value in (("email", email), ("phone", phone)):
        if other_field == key_field or not other_value:
            continue
        if other_value in first_seen[other_field]:
            shared[other_field] = first_seen[other_field][other_value]
        else:
            first_seen[other_field][other_value] = number
    if shared:
        record["shared"] = shared
    return record


def abandon_upload(stores: Stores, key: str) -> None:
    """The splitter kept failing on this upload: finalise its job (failed, with a notice) instead of letting it hang."""
    parsed = parse_upload_key(key)
    if parsed is None:
        return
    tenant_id, job_id = parsed
    job = stores.jobs.get(tenant_id, job_id)
    if job is not None and job.status in (JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING):
        logger.error("Upload could not be split", extra={"job_id": job_id})
        metrics.add_metric(name="UploadsDeadLettered", unit=MetricUnit.Count, value=1)
        start_report(stores, job)
