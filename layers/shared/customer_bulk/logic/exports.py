"""Exports: which customers, cut into parts, written as files that import back unchanged.

- Up to 10,000 matching customers: the API plans (stopping at 10,001), the exporter writes the one file while it
  waits, and the answer carries the link (LadiFlow: "downloaded immediately").
- More: the export state machine plans every part (at most 30,000 customers each), writes them in parallel, then
  presigns the links (7 days) and emails them.
Customers come in customer-id order, which is creation order, so a part is a range of ids: (after_id, last_id].
The writer reads its range back whole from the ByTenant index and applies the scope again, so a part holds the
customers as they are when it is written; customers created while the export runs sort after it.
"""

import itertools
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.clock import utc_now
from customer_bulk.errors import BadRequestError, ConflictError, TemporaryFailure
from customer_bulk.i18n import Language, _, speaking, zone_name_of_region
from customer_bulk.ids import new_id
from customer_bulk.logic.job_events import publish_job_event
from customer_bulk.logic.links import file_link
from customer_bulk.logic.tenants import tenant_settings
from customer_bulk.masking import mask_text
from customer_bulk.models.export import (
    IMMEDIATE_LIMIT,
    PART_ROWS,
    CreateExportRequest,
    Delivery,
    ExportFilter,
    ExportJob,
    ExportLink,
    ExportPart,
    ExportStatus,
    ExportView,
    ScopeKind,
)
from customer_bulk.models.notice import Notice
from customer_bulk.normalize import strip_accents
from customer_bulk.observability import logger, metrics
from customer_bulk.ports import Stores
from customer_bulk.schema import FieldSpec, Schema, schema_for
from customer_bulk.settings import get_settings
from customer_bulk.spreadsheet.export_file import CustomerFileWriter
from customer_bulk.spreadsheet.writer import CSV, XLSX

PERSONAL_FIELDS = ("email", "phone", "birthday", "address1", "address2", "zip")
# Whose row it is and which version of them it shows: every export keeps them, however narrowed, so that any export
# imports back (matched by id, refused where the customer changed since).
KEPT_FIELDS = ("customer_id", "version")
CONTENT_TYPES = {
    "xlsx": XLSX,
    "csv": CSV,
}
Customer = dict[str, Any]


# ---------- the API ----------
def create_export(
    stores: Stores,
    tenant_id: str,
    requested_by: str,
    request: CreateExportRequest,
    api_url: str,
    now: datetime,
    language: Language | None = None,
) -> ExportView:
    scope = request.scope
    if scope.kind is ScopeKind.SELECTED and not scope.ids:
        raise BadRequestError(_("A selected export needs the ids of the customers (scope.ids)."))
    settings = tenant_settings(stores, tenant_id)
    schema = schema_for(settings)
    job = ExportJob(
        tenant_id=tenant_id,
        export_id=new_id(),
        requested_by=requested_by,
        api_url=api_url,
        request=request,
        columns=resolve_columns(request, schema),
        language=language or settings.speaks,
        zone=zone_name_of_region(settings.default_region),
        created_at=now,
        updated_at=now,
    )
    if scope.kind is ScopeKind.SELECTED:
        stores.files.put_json(_selection_key(job), {"ids": sorted(set(scope.ids))})
    metrics.add_metric(name="ExportsStarted", unit=MetricUnit.Count, value=1)
    parts = cut_parts(stores, job, stop_after=IMMEDIATE_LIMIT + 1)
    if sum(part.rows for part in parts) > IMMEDIATE_LIMIT:
        job.delivery = Delivery.EMAIL
        stores.jobs.create_export(job)
        stores.export_workflow.start(job.export_id, {"tenant_id": tenant_id, "export_id": job.export_id})
        return export_view(stores, job)
    job.parts = parts or [ExportPart(part=0, rows=0, first_row=1)]
    job.rows = sum(part.rows for part in job.parts)
    job.status = ExportStatus.WRITING
    stores.jobs.create_export(job)
    try:
        stores.exporter.call({"tenant_id": tenant_id, "export_id": job.export_id, "part": 0})
    except Exception as error:
        _publish_end(stores, fail_export(stores, tenant_id, job.export_id, str(error), utc_now()))
        raise TemporaryFailure(
            _("Export {export_id} could not be written. Please try again.", export_id=job.export_id)
        ) from error
    return export_view(stores, _publish_end(stores, finish_export(stores, tenant_id, job.export_id, utc_now())))


def _publish_end(stores: Stores, job: ExportJob) -> ExportJob:
    """An immediate export's event (export.completed / export.failed), published once. No task retries it: the
    client has its answer either way, so a bus that refuses it is logged, not the request's failure."""
    try:
        publish_job_event(stores, export_notice(stores, job), utc_now())
    except Exception:  # noqa: BLE001 - the export itself is done; the event is logged as missing
        logger.exception("Export event not published", extra={"export_id": job.export_id})
    return job


def export_status(stores: Stores, tenant_id: str, export_id: str) -> ExportView:
    return export_view(stores, _load(stores, tenant_id, export_id))


def resolve_columns(request: CreateExportRequest, schema: Schema) -> list[str]:
    """The template's columns plus Version, in that order; narrowed to ``columns`` and without personal data, but
    always with Customer ID (first) and Version (last)."""
    available = [spec.name for spec in schema.export_fields]
    if request.columns is not None:
        unknown = sorted(set(request.columns) - set(available))
        if unknown:
            raise BadRequestError(
                _(
                    "Unknown columns ({unknown}); the columns are: {columns}.",
                    unknown=", ".join(unknown),
                    columns=", ".join(available),
                )
            )
        wanted = {*request.columns, *KEPT_FIELDS}
        available = [name for name in available if name in wanted]
    if request.without_personal_data:
        available = [name for name in available if name not in PERSONAL_FIELDS]
    if not available:
        raise BadRequestError(_("The export would have no columns."))
    return available


# ---------- which customers ----------
def cut_parts(stores: Stores, job: ExportJob, stop_after: int | None = None) -> list[ExportPart]:
    """The matching customers cut into id ranges of at most 30,000 (reading no further than ``stop_after``)."""
    scope = job.request.scope
    keep = _scope_filter(stores, job)
    start = scope.cursor if scope.kind is ScopeKind.PAGE else None
    customers: Iterable[Customer] = (
        item for item in stores.customers.tenant_customers(job.tenant_id, start, full=keep.needs_items) if keep(item)
    )
    if scope.kind is ScopeKind.PAGE:
        customers = itertools.islice(customers, scope.size)
    if stop_after is not None:
        customers = itertools.islice(customers, stop_after)
    parts: list[ExportPart] = []
    after_id, rows = start, 0
    while batch := [item["customer_id"] for item in itertools.islice(customers, PART_ROWS)]:
        parts.append(
            ExportPart(part=len(parts), rows=len(batch), first_row=rows + 1, after_id=after_id, last_id=batch[-1])
        )
        after_id, rows = batch[-1], rows + len(batch)
    return parts


class _ScopeFilter:
    """Whether a customer read from the index belongs to the export (``needs_items``: it needs every attribute)."""

    def __init__(self, test: Callable[[Customer], bool] | None, needs_items: bool) -> None:
        self.test, self.needs_items = test, needs_items

    def __call__(self, customer: Customer) -> bool:
        return self.test is None or self.test(customer)


def _scope_filter(stores: Stores, job: ExportJob) -> _ScopeFilter:
    scope = job.request.scope
    if scope.kind is ScopeKind.FILTER:
        wanted = scope.filter
        assert wanted is not None
        return _ScopeFilter(lambda customer: matches(wanted, customer), needs_items=True)
    if scope.kind is ScopeKind.SELECTED:
        selection = stores.files.get_json(_selection_key(job)) or {"ids": []}
        ids = frozenset(selection["ids"])
        return _ScopeFilter(lambda customer: customer["customer_id"] in ids, needs_items=False)
    return _ScopeFilter(None, needs_items=False)


def matches(wanted: ExportFilter, customer: dict[str, Any]) -> bool:
    if wanted.tags:
        tags = {_plain(tag) for tag in customer.get("tags") or []}
        if not all(_plain(tag) in tags for tag in wanted.tags):
            return False
    for name in ("accepts_email_marketing", "accepts_sms_marketing"):
        expected = getattr(wanted, name)
        if expected is not None and bool(customer.get(name)) is not expected:
            return False
    if wanted.city and _plain(customer.get("city") or "") != _plain(wanted.city):
        return False
    if wanted.country_code and customer.get("country_code") != wanted.country_code.upper():
        return False
    for stamp, start, end in (
        ("created_at", wanted.created_from, wanted.created_to),
        ("updated_at", wanted.updated_from, wanted.updated_to),
    ):
        day = str(customer.get(stamp, ""))[:10]
        if (start and day < start.isoformat()) or (end and day > end.isoformat()):
            return False
    if wanted.search:
        # Every word of the search in the name or email ("nguyen thao" finds Thảo Nguyễn), or 4+ digits of the phone.
        haystack = " ".join(_plain(str(customer.get(name) or "")) for name in ("first_name", "last_name", "email"))
        digits = "".join(ch for ch in wanted.search if ch.isdigit()).removeprefix("0")  # "0912..." is "+84912..."
        in_text = all(word in haystack for word in _plain(wanted.search).split())
        if not in_text and not (len(digits) >= 4 and digits in str(customer.get("phone") or "")):
            return False
    return True


def _plain(text: str) -> str:
    """Case- and accent-insensitive ("Hà Nội" finds "ha noi")."""
    return strip_accents(text).casefold().strip()


# ---------- the state machine's tasks ----------
def plan_export(stores: Stores, tenant_id: str, export_id: str, now: datetime) -> list[int]:
    """Cut the matching customers into parts of at most 30,000 and record them on the export."""
    job = _load(stores, tenant_id, export_id)
    if job.parts:
        return [part.part for part in job.parts]  # a retried task: the plan is already recorded
    job.parts = cut_parts(stores, job)
    job.rows = sum(part.rows for part in job.parts)
    job.status, job.updated_at = ExportStatus.WRITING, now
    stores.jobs.save_export(job, was=ExportStatus.PLANNING)
    logger.info("Export planned", extra={"export_id": export_id, "rows": job.rows, "parts": len(job.parts)})
    return [part.part for part in job.parts]


def write_part(stores: Stores, tenant_id: str, export_id: str, part: int, now: datetime) -> ExportPart:
    """Write one part's file: its id range read back page by page, streamed into the file, then uploaded."""
    job = _load(stores, tenant_id, export_id)
    planned = job.parts[part]
    keep = _scope_filter(stores, job)
    customers: Iterable[Customer] = ()
    if planned.last_id is not None:
        in_range = stores.customers.tenant_customers(tenant_id, planned.after_id, planned.last_id, full=True)
        customers = (item for item in in_range if keep(item))
    schema = schema_for(tenant_settings(stores, tenant_id))
    columns = [schema[name] for name in job.columns if name in schema]
    file_format = job.request.format.value
    name = part_file_name(job, part)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / name
        with speaking(job.language):  # headers and yes / no values
            rows = write_customers(path, file_format, columns, customers)
        key = f"{_root(job)}files/{name}"
        stores.files.put_file(key, path, CONTENT_TYPES[file_format])
        written = planned.model_copy(
            update={"key": key, "file_name": name, "rows": rows, "size_bytes": path.stat().st_size}
        )
    stores.jobs.export_part_done(tenant_id, export_id, written, now)
    metrics.add_metric(name="ExportRowsWritten", unit=MetricUnit.Count, value=written.rows)
    return written


def write_customers(path: Path, file_format: str, columns: list[FieldSpec], customers: Iterable[Customer]) -> int:
    """Stream customers into one file; returns how many were written."""
    with CustomerFileWriter(path, file_format, columns) as writer:
        for customer in customers:
            writer.write(customer)
    return writer.rows


def finish_export(stores: Stores, tenant_id: str, export_id: str, now: datetime) -> ExportJob:
    job = _load(stores, tenant_id, export_id)
    was = job.status
    if not was.is_final:
        # The files hold the customers as they were when written (some may have been deleted or stopped matching
        # the filter since the plan): the rows and ranges reported are the files' own.
        first_row = 1
        for part in job.parts:
            part.first_row, first_row = first_row, first_row + part.rows
        job.rows = first_row - 1
        job.status, job.finished_at, job.updated_at = ExportStatus.COMPLETED, now, now
        return _save_step(stores, job, was)
    return job


def fail_export(stores: Stores, tenant_id: str, export_id: str, cause: str, now: datetime) -> ExportJob:
    job = _load(stores, tenant_id, export_id)
    was = job.status
    if not was.is_final:
        logger.error("Export failed", extra={"export_id": export_id, "cause": mask_text(cause[:500])})
        job.status, job.finished_at, job.updated_at = ExportStatus.FAILED, now, now
        with speaking(job.language):
            job.error = _("The export could not be completed because of an internal error. Please start it again.")
        return _save_step(stores, job, was)
    return job


def _save_step(stores: Stores, job: ExportJob, was: ExportStatus) -> ExportJob:
    """The job after this step; when a concurrent task took another step first, the job as that one left it."""
    try:
        stores.jobs.save_export(job, was)
    except ConflictError:
        return _load(stores, job.tenant_id, job.export_id)
    return job


def export_notice(stores: Stores, job: ExportJob) -> Notice:
    view = export_view(stores, job)
    return Notice(
        kind="export",
        tenant_id=job.tenant_id,
        job_id=job.export_id,
        to=[job.requested_by],
        file_name=view.files[0].file_name if view.files else "customers",
        status=job.status.value,
        rows_total=job.rows,
        error=job.error,
        files=view.files,
        report_expires_days=max(1, get_settings().report_url_ttl_s // 86400),
        language=job.language,
        zone=job.zone,
        ended_at=job.finished_at,
    )


# ---------- views and names ----------
def export_view(stores: Stores, job: ExportJob) -> ExportView:
    files = [
        ExportLink(
            file_name=part.file_name,
            rows=part.rows,
            first_row=part.first_row,
            last_row=part.first_row + part.rows - 1,
            size_bytes=part.size_bytes,
            url=file_link(
                stores, job.api_url, job.tenant_id, part.key, part.file_name, job.finished_at or job.updated_at
            ),
        )
        for part in job.parts
        if part.key and part.file_name and job.status is ExportStatus.COMPLETED
    ]
    return ExportView(
        export_id=job.export_id,
        status=job.status,
        delivery=job.delivery,
        language=job.language,
        rows=job.rows,
        percent=job.percent,
        files=files,
        error=job.error,
        created_at=job.created_at,
        finished_at=job.finished_at,
        notified_at=job.notified_at,
        notice_error=job.notice_error,
    )


def part_file_name(job: ExportJob, part: int) -> str:
    stem = f"customers-{job.created_at:%Y-%m-%d}-{job.export_id[-6:].lower()}"
    suffix = f"-part-{part + 1}-of-{len(job.parts)}" if len(job.parts) > 1 else ""
    return f"{stem}{suffix}.{job.request.format.value}"


def _load(stores: Stores, tenant_id: str, export_id: str) -> ExportJob:
    return stores.jobs.require_export(tenant_id, export_id)


def _root(job: ExportJob) -> str:
    return f"exports/{job.tenant_id}/{job.export_id}/"


def _selection_key(job: ExportJob) -> str:
    return f"{_root(job)}selection.json"
