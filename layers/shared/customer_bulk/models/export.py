"""An export: which customers, in which format, and where the files went."""

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from customer_bulk.i18n import Language
from customer_bulk.models.job import JobId
from customer_bulk.models.tenant import TenantId

IMMEDIATE_LIMIT = 10_000  # up to this many rows, one file and a link at once (LadiFlow)
PART_ROWS = 30_000  # over it, emailed parts of at most this many rows
PAGE_LIMIT = 1_000
CustomerId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,40}$")]


class ScopeKind(StrEnum):
    PAGE = "page"  # one page of the list view: the customers after ``cursor``, ``size`` of them
    ALL = "all"
    SELECTED = "selected"  # the customers whose ids are listed
    FILTER = "filter"  # everything matching ``filter``


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


class Delivery(StrEnum):
    IMMEDIATE = "immediate"
    EMAIL = "email"


class ExportFilter(BaseModel):
    """What the list view filters on. Text matches ignore case and accents; every given condition must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=255)]] = Field(default_factory=list)
    accepts_email_marketing: bool | None = None
    accepts_sms_marketing: bool | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] | None = None
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    search: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None  # name, email or phone


class ExportScope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ScopeKind = ScopeKind.ALL
    cursor: CustomerId | None = None
    size: int = Field(default=50, ge=1, le=PAGE_LIMIT)
    ids: list[CustomerId] = Field(default_factory=list, max_length=100_000)
    filter: ExportFilter | None = None

    # (A selected export without ids is refused by the API: a stored export keeps its ids in S3, not here.)
    @model_validator(mode="after")
    def _complete(self) -> "ExportScope":
        if self.kind is ScopeKind.FILTER and self.filter is None:
            raise ValueError("a filtered export needs a filter")
        return self


class CreateExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: ExportScope = ExportScope()
    format: ExportFormat = ExportFormat.XLSX
    # Field names to write (the template's order is kept); None: all of them.
    columns: list[Annotated[str, StringConstraints(max_length=60)]] | None = None
    without_personal_data: bool = False  # leave out email, phone, birthday, addresses and zip


class ExportStatus(StrEnum):
    PLANNING = "planning"
    WRITING = "writing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (ExportStatus.COMPLETED, ExportStatus.FAILED)


# The export lifecycle, declared once (each status and where it may come from): planning -> writing -> completed,
# and failed from either. An immediate export starts at writing. JobStore.save_export refuses any other step.
EXPORT_LIFECYCLE: Mapping[ExportStatus, frozenset[ExportStatus]] = {
    ExportStatus.WRITING: frozenset({ExportStatus.PLANNING}),
    ExportStatus.COMPLETED: frozenset({ExportStatus.WRITING}),
    ExportStatus.FAILED: frozenset({ExportStatus.PLANNING, ExportStatus.WRITING}),
}


class ExportPart(BaseModel):
    """A slice of the export in customer-id order: the matching customers with ids in (after_id, last_id]."""

    part: int
    rows: int
    first_row: int  # 1-based position of the part's first customer in the whole export
    after_id: str | None = None
    last_id: str | None = None  # None: the part is empty (an export that matched nobody)
    key: str | None = None
    file_name: str | None = None
    size_bytes: int = 0


class ExportJob(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: TenantId
    export_id: JobId
    requested_by: str
    api_url: str  # the API the export was started through: its download links point there
    request: CreateExportRequest
    columns: list[str]  # resolved field names, in order
    language: Language = "en"  # what its headers and email speak: chosen when it was started
    zone: str = "UTC"  # where the tenant's times are shown
    status: ExportStatus = ExportStatus.PLANNING
    delivery: Delivery = Delivery.IMMEDIATE
    rows: int = 0
    parts: list[ExportPart] = Field(default_factory=list)
    parts_done: set[int] = Field(default_factory=set)
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    notified_at: datetime | None = None
    notice_error: str | None = None  # the mail service refused the notice for good

    @property
    def percent(self) -> int:
        if self.status.is_final:
            return 100
        return min(99, len(self.parts_done) * 100 // len(self.parts)) if self.parts else 0


class ExportLink(BaseModel):
    file_name: str
    rows: int
    first_row: int
    last_row: int
    size_bytes: int
    url: str


class ExportView(BaseModel):
    """What the client sees: progress while running, the links when done."""

    export_id: str
    status: ExportStatus
    delivery: Delivery
    language: Language = "en"  # what its headers and email speak
    rows: int
    percent: int
    files: list[ExportLink]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    notified_at: datetime | None
    notice_error: str | None = None
