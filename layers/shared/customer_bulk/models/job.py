"""An import job: what the admin asked for, how far it got, and what came of it."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from customer_bulk.models.tenant import TenantId, TenantSettings

JobId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


class JobStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    SPLITTING = "splitting"
    PROCESSING = "processing"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.REJECTED, JobStatus.FAILED)


class MatchKey(StrEnum):
    """Which value of a row finds the existing customer."""

    AUTO = "auto"  # the email when the row has a usable one, else the phone
    EMAIL = "email"
    PHONE = "phone"
    CUSTOMER_ID = "customer_id"  # Tix: our id from an export; 0 or empty creates a new customer


class TagsMode(StrEnum):
    ADD = "add"  # the file's tags are added to the customer's
    REPLACE = "replace"  # the file's tags become the customer's tags


class ImportOptions(BaseModel):
    """The admin's choices when starting an import."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    match_key: MatchKey = MatchKey.AUTO
    update_existing: bool = True
    trigger_flows: bool = False
    # Apply rows of an export even when their customer changed after the export (its Version column is older).
    force: bool = False
    tags: TagsMode = TagsMode.ADD
    sheet: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    # Header -> field (None: do not import the column); overrides the guess and is remembered for the tenant.
    mapping: dict[Annotated[str, StringConstraints(max_length=255)], str | None] | None = Field(
        default=None, max_length=500
    )


class Counts(BaseModel):
    """Per-row outcomes. ``warnings`` counts applied rows that had at least one field skipped."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    stale: int = 0  # rows of an export whose customer changed after the export: not applied
    invalid: int = 0
    not_processed: int = 0
    warnings: int = 0
    flow_events: int = 0  # customer.created / customer.updated events sent for automation

    def add(self, other: "Counts") -> "Counts":
        return Counts(**{name: getattr(self, name) + getattr(other, name) for name in Counts.model_fields})

    @property
    def rows_done(self) -> int:
        done = self.created + self.updated + self.unchanged + self.skipped + self.stale + self.invalid
        return done + self.not_processed


class ImportJob(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: TenantId
    job_id: JobId
    requested_by: str
    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    upload_key: str
    status: JobStatus = JobStatus.AWAITING_UPLOAD
    options: ImportOptions = ImportOptions()
    settings: TenantSettings = TenantSettings()
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    rows_total: int = 0
    chunk_rows: int = 0
    chunks_total: int = 0
    done_chunks: set[int] = Field(default_factory=set)
    failed_chunks: set[int] = Field(default_factory=set)
    counts: Counts = Counts()

    # The header row as uploaded, and the customer field each column maps to (None: ignored).
    headers: list[str] = Field(default_factory=list)
    header_row: int = 0
    fields: list[str | None] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    error_code: str | None = None
    error: str | None = None
    error_report_key: str | None = None
    notice_message_id: str | None = None
    notified_at: datetime | None = None

    @property
    def counted_chunks(self) -> set[int]:
        return self.done_chunks | self.failed_chunks

    @property
    def all_chunks_counted(self) -> bool:
        return self.chunks_total > 0 and len(self.counted_chunks) >= self.chunks_total

    @property
    def rows_processed(self) -> int:
        return min(self.counts.rows_done, self.rows_total) if self.rows_total else self.counts.rows_done

    @property
    def percent(self) -> int:
        if self.status.is_final:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_processed * 100 // self.rows_total)


class ChunkMessage(BaseModel):
    """One SQS message: a slice of the file written to S3 by the splitter."""

    model_config = ConfigDict(frozen=True)

    tenant_id: TenantId
    job_id: JobId
    chunk: int = Field(ge=0)
    key: str
    rows: int = Field(ge=0)
