"""Requests and answers of the HTTP API."""

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from customer_bulk.i18n import Language
from customer_bulk.models.export import Delivery, ExportFormat, ExportJob, ExportStatus, ScopeKind
from customer_bulk.models.job import ImportJob, ImportOptions, ImportType, JobStatus

ACCEPTED_SUFFIXES = (".xlsx", ".xls", ".csv")


class CreateImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
        # What _spreadsheet_name accepts, told to clients (it is that validator that refuses the others).
        Field(json_schema_extra={"pattern": r"\.([Xx][Ll][Ss][Xx]?|[Cc][Ss][Vv])\s*$"}),
    ]
    options: ImportOptions = ImportOptions()

    @field_validator("file_name")
    @classmethod
    def _spreadsheet_name(cls, value: str) -> str:
        """The name goes into mail headers, S3 keys and report names: line breaks and other control characters
        become spaces (a newline in a Subject header made every notice fail)."""
        value = " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in value).split())
        if not value.lower().endswith(ACCEPTED_SUFFIXES):
            raise ValueError("must end with .xlsx, .xls or .csv")
        return value


class UploadForm(BaseModel):
    """Fields to POST, as multipart/form-data with the file last, to ``url``."""

    url: str
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


class CreateImportResponse(BaseModel):
    job_id: str
    status: JobStatus
    upload: UploadForm


class PreviewSummary(BaseModel):
    """What a preview found (nothing written) and until when it can be confirmed, as the history lists it."""

    new: int
    changed: int
    unchanged: int
    skipped: int
    stale: int
    invalid: int
    not_processed: int
    warnings: int
    previewed_at: datetime | None
    expires_at: datetime | None
    confirmed_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> "PreviewSummary":
        counts = job.preview_counts
        return cls(
            new=counts.created,
            changed=counts.updated,
            **counts.model_dump(include={"unchanged", "skipped", "stale", "invalid", "not_processed", "warnings"}),
            previewed_at=job.previewed_at,
            expires_at=job.preview_expires_at,
            confirmed_at=job.confirmed_at,
        )


class PreviewView(PreviewSummary):
    """The preview as ``GET /imports/{id}`` shows it: the summary and the diff workbook's link."""

    diff_report_url: str | None


class RollbackSummary(BaseModel):
    """What a rollback did, who asked for it and when, as the history lists it."""

    restored: int
    removed: int
    left_alone: int
    not_processed: int
    requested_at: datetime | None
    requested_by: str | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> "RollbackSummary":
        return cls(
            **job.rollback_counts.model_dump(),
            requested_at=job.rollback_requested_at,
            requested_by=job.rollback_requested_by,
            finished_at=job.rolled_back_at,
        )


class RollbackView(RollbackSummary):
    """The rollback as ``GET /imports/{id}`` shows it: the summary and the report's link."""

    report_url: str | None


class ImportStatus(BaseModel):
    """Enough for a progress bar while running, and the outcome when done. ``created`` ... ``warnings`` are what
    was applied; a preview's findings are in ``preview``, a rollback's in ``rollback``."""

    job_id: str
    status: JobStatus
    type: ImportType
    file_name: str
    language: Language  # what its files, notes and emails speak
    rows_total: int
    rows_processed: int
    percent: int = Field(ge=0, le=100)
    created: int
    updated: int
    unchanged: int
    skipped: int
    stale: int
    invalid: int
    not_processed: int
    warnings: int
    flow_events: int
    notes: list[str]
    error_code: str | None
    error: str | None
    error_report_url: str | None
    preview: PreviewView | None  # when the import was previewed
    rollback: RollbackView | None  # when it was rolled back (or is being)
    undo_until: datetime | None  # an applied import can be rolled back until then
    created_at: datetime
    finished_at: datetime | None
    notified_at: datetime | None  # of the notice of the latest phase
    notice_error: str | None  # the mail service refused that notice for good (it is not retried)

    @classmethod
    def of(cls, job: ImportJob, urls: Mapping[str, str]) -> "ImportStatus":
        """``urls``: presigned links of the job's workbooks, by name (error, diff, rollback)."""
        preview = rollback = None
        if job.has_preview:
            preview = PreviewView(**PreviewSummary.of(job).model_dump(), diff_report_url=urls.get("diff"))
        if job.has_rollback:
            rollback = RollbackView(**RollbackSummary.of(job).model_dump(), report_url=urls.get("rollback"))
        return cls(
            job_id=job.job_id,
            status=job.status,
            type=job.options.type,
            file_name=job.file_name,
            language=job.language,
            rows_total=job.rows_total,
            rows_processed=job.rows_processed,
            percent=job.percent,
            **job.counts.model_dump(),
            notes=job.notes,
            error_code=job.error_code,
            error=job.error,
            error_report_url=urls.get("error"),
            preview=preview,
            rollback=rollback,
            undo_until=job.undo_until,
            created_at=job.created_at,
            finished_at=job.finished_at,
            notified_at=job.notified_at,
            notice_error=job.notice_error,
        )


# ---------- history: GET /imports, GET /exports ----------
HISTORY_LIMIT = 20  # entries on a page unless ``limit`` says otherwise
HISTORY_MAX_LIMIT = 100
# A cursor is the id of the last job a page read (the client treats it as opaque and only sends it back).
HISTORY_CURSOR_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"


class ImportHistoryEntry(BaseModel):
    """One import in the history: who started it, when, the file, where it got and what came of it."""

    job_id: str
    type: ImportType
    status: JobStatus
    file_name: str
    language: Language
    requested_by: str
    created_at: datetime
    finished_at: datetime | None
    percent: int = Field(ge=0, le=100)
    rows_total: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    stale: int
    invalid: int
    not_processed: int
    warnings: int
    error_code: str | None
    error: str | None
    preview: PreviewSummary | None  # when the import was previewed
    rollback: RollbackSummary | None  # when it was rolled back (or is being)

    @classmethod
    def of(cls, job: ImportJob) -> "ImportHistoryEntry":
        preview = PreviewSummary.of(job) if job.has_preview else None
        rollback = RollbackSummary.of(job) if job.has_rollback else None
        return cls(
            job_id=job.job_id,
            type=job.options.type,
            status=job.status,
            file_name=job.file_name,
            language=job.language,
            requested_by=job.requested_by,
            created_at=job.created_at,
            finished_at=job.finished_at,
            percent=job.percent,
            rows_total=job.rows_total,
            **job.counts.model_dump(exclude={"flow_events"}),
            error_code=job.error_code,
            error=job.error,
            preview=preview,
            rollback=rollback,
        )


class ImportHistory(BaseModel):
    """A page of the tenant's imports, newest first."""

    items: list[ImportHistoryEntry]
    next_cursor: str | None  # send it back as ``cursor`` for the next page; None: this was the last


class ExportHistoryEntry(BaseModel):
    """One export in the history (its files' links are in ``GET /exports/{id}``)."""

    export_id: str
    status: ExportStatus
    requested_by: str
    language: Language
    format: ExportFormat
    scope: ScopeKind
    delivery: Delivery
    created_at: datetime
    finished_at: datetime | None
    percent: int = Field(ge=0, le=100)
    rows: int
    file_count: int  # files written (an export over 10,000 rows comes in parts)
    file_name: str | None  # the first file's
    error: str | None

    @classmethod
    def of(cls, job: ExportJob) -> "ExportHistoryEntry":
        written = [part.file_name for part in job.parts if part.key and part.file_name]
        return cls(
            export_id=job.export_id,
            status=job.status,
            requested_by=job.requested_by,
            language=job.language,
            format=job.request.format,
            scope=job.request.scope.kind,
            delivery=job.delivery,
            created_at=job.created_at,
            finished_at=job.finished_at,
            percent=job.percent,
            rows=job.rows,
            file_count=len(written),
            file_name=written[0] if written else None,
            error=job.error,
        )


class ExportHistory(BaseModel):
    """A page of the tenant's exports, newest first."""

    items: list[ExportHistoryEntry]
    next_cursor: str | None  # send it back as ``cursor`` for the next page; None: this was the last


# ---------- a phase's rows (GET /imports/{id}/rows) ----------
ROWS_LIMIT = 100  # rows on a page unless ``limit`` says otherwise
ROWS_MAX_LIMIT = 500


class RowPhase(StrEnum):
    """The phases whose decisions say what each row did (a rollback's are about customers, not rows)."""

    PREVIEW = "preview"
    APPLY = "apply"


RowStatus = Literal["created", "updated", "unchanged", "skipped", "stale", "invalid", "not_processed"]


class RowView(BaseModel):
    """One row of the file as uploaded, and what the phase decided for it."""

    row: int  # its row number in the file (the header row is above it)
    cells: list[str]  # as uploaded, one per header (blank cells as "")
    status: RowStatus
    changes: dict[str, list[Any]] = Field(default_factory=dict)  # field -> [old, new], as the decision recorded them
    errors: list[str] = Field(default_factory=list)  # why the row was not applied, in the job's language
    warnings: list[str] = Field(default_factory=list)  # fields skipped while the rest of the row was applied


class ImportRows(BaseModel):
    """A page of a phase's rows, in file order."""

    phase: RowPhase
    headers: list[str]  # the file's header row (a blank header named by its position)
    fields: list[str | None]  # the field each column was imported as (None: not imported)
    rows: list[RowView]
    next_cursor: int | None  # send it back as ``cursor`` for the next page; None: this was the last


# ---------- error answers (functions/api's exception handlers) ----------
class ErrorBody(BaseModel):
    """Every refusal: what went wrong, in the request's language (its ``Content-Language``)."""

    message: str


class FieldProblem(BaseModel):
    field: str  # dotted path in the request (``options.match_key``); "" for the whole body
    message: str  # pydantic's words (English)


class ValidationErrorBody(BaseModel):
    """422: the request did not fit the API's schema; each field and what was wrong with it."""

    message: str
    errors: list[FieldProblem]
