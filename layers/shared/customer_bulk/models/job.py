"""An import job: what the admin asked for, how far it got, and what came of it."""

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from customer_bulk.i18n import Language
from customer_bulk.models.tenant import TenantId, TenantSettings

JobId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


class JobStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    SPLITTING = "splitting"
    MAPPED = "mapped"  # read and mapped, nothing decided: waiting for the admin to review the mapping and go on
    PROCESSING = "processing"  # previewing or applying the file's chunks (see ``phase``)
    PREVIEWED = "previewed"  # nothing written; waiting for confirm or cancel until the preview expires
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"  # a preview the admin discarded
    EXPIRED = "expired"  # a preview nobody confirmed in time
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def waits_for_admin(self) -> bool:
        """A state a client stops polling at: final, or a preview waiting for confirm / cancel."""
        return self in (JobStatus.PREVIEWED, JobStatus.MAPPED) or self.is_final


_FINAL = frozenset(
    {
        JobStatus.COMPLETED,
        JobStatus.REJECTED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
        JobStatus.EXPIRED,
        JobStatus.ROLLED_BACK,
    }
)


# The import lifecycle, declared once: each status and the statuses a job may reach it from. Every change of status
# is a conditional write through JobStore.transition, which refuses one this table does not list.
#   awaiting_upload -> splitting -> processing -> completed -> rolling_back -> rolled_back
#                               \-> rejected      \-> previewed -> processing (confirm) | cancelled | expired
#                               \-> mapped (review_mapping) -> splitting (the admin goes on) | cancelled | expired
#   and from any state with work in flight: failed
IMPORT_LIFECYCLE: Mapping[JobStatus, frozenset[JobStatus]] = {
    JobStatus.SPLITTING: frozenset({JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING, JobStatus.MAPPED}),
    JobStatus.MAPPED: frozenset({JobStatus.SPLITTING}),
    JobStatus.REJECTED: frozenset({JobStatus.SPLITTING}),
    JobStatus.PROCESSING: frozenset({JobStatus.SPLITTING, JobStatus.PREVIEWED}),
    JobStatus.PREVIEWED: frozenset({JobStatus.PROCESSING}),
    JobStatus.COMPLETED: frozenset({JobStatus.PROCESSING}),
    JobStatus.CANCELLED: frozenset({JobStatus.AWAITING_UPLOAD, JobStatus.PREVIEWED, JobStatus.MAPPED}),
    JobStatus.EXPIRED: frozenset({JobStatus.PREVIEWED, JobStatus.MAPPED}),
    # An applied import (finished, or failed part way) is undone; an unfinished undo runs again.
    JobStatus.ROLLING_BACK: frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.ROLLED_BACK}),
    JobStatus.ROLLED_BACK: frozenset({JobStatus.ROLLING_BACK}),
    JobStatus.FAILED: frozenset(
        {JobStatus.AWAITING_UPLOAD, JobStatus.SPLITTING, JobStatus.PROCESSING, JobStatus.ROLLING_BACK}
    ),
}


class Phase(StrEnum):
    """One pass of the validators over a job's chunks; each has its own decision records and counters."""

    PREVIEW = "preview"  # decide every row, write nothing
    APPLY = "apply"  # decide and write
    ROLLBACK = "rollback"  # restore the before-images an apply recorded

    @property
    def running_status(self) -> JobStatus:
        """The job's status while this phase's chunks are being counted."""
        return JobStatus.ROLLING_BACK if self is Phase.ROLLBACK else JobStatus.PROCESSING


class ImportType(StrEnum):
    CUSTOMERS = "customers"
    OPENING_BALANCE = "opening_balance"  # Haraloyalty: past spend of existing members becomes points


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

    type: ImportType = ImportType.CUSTOMERS
    # Decide every row and report the changes (counts and a diff workbook) without writing; confirm applies them.
    preview: bool = False
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
    # Stop after reading the file (status "mapped") so the admin reviews the mapping and the values, then goes on.
    review_mapping: bool = False
    # Field -> {value as written in the file: value to store} ("M" -> "Nam"); remembered for the tenant.
    values: dict[str, dict[Annotated[str, StringConstraints(max_length=255)], str]] | None = Field(
        default=None, max_length=100
    )

    @model_validator(mode="after")
    def _balances_match_members(self) -> "ImportOptions":
        if self.type is ImportType.OPENING_BALANCE:
            if self.match_key is not MatchKey.AUTO:
                raise ValueError("an opening balance always matches members by phone and email (leave match_key out)")
            if not self.update_existing:
                raise ValueError("an opening balance updates existing members (update_existing cannot be false)")
        return self


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


class RollbackCounts(BaseModel):
    """Customers an applied import created or changed, and what rolling it back did to each."""

    restored: int = 0  # changed by the import: their previous values are back
    removed: int = 0  # created by the import: deleted again
    left_alone: int = 0  # changed by something else since the import: not overwritten, listed in the report
    not_processed: int = 0  # in a part of the rollback that failed repeatedly


class ChunkProgress(BaseModel):
    """Which chunks one phase has counted (each exactly once)."""

    done: set[int] = Field(default_factory=set)
    failed: set[int] = Field(default_factory=set)

    @property
    def counted(self) -> set[int]:
        return self.done | self.failed


class ImportJob(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: TenantId
    job_id: JobId
    requested_by: str
    api_url: str  # the API the job was started through: its download links point there
    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    upload_key: str
    status: JobStatus = JobStatus.AWAITING_UPLOAD
    phase: Phase = Phase.APPLY
    options: ImportOptions = ImportOptions()
    settings: TenantSettings = TenantSettings()
    language: Language = "en"  # what its rows, files and emails speak: chosen when it was started
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None

    rows_total: int = 0
    chunk_rows: int = 0
    chunks_total: int = 0
    chunk_groups: list[int] = Field(default_factory=list)  # each chunk's message group
    # The order an undo must follow where chunks of different message groups wrote the same customer (logic.chunks
    # undo_edges): "{chunk}@{stamp}" the stamps (updated_at) of each applied chunk's writes, "{chunk}<{stamp}" a
    # chunk that wrote over the write stamped so, to be undone before the chunk that made it.
    applied_stamps: set[str] = Field(default_factory=set)
    undo_first: set[str] = Field(default_factory=set)
    # Per phase: the chunks counted and what came of the rows (rollback: of the customers).
    progress: dict[Phase, ChunkProgress] = Field(default_factory=dict)
    counts: Counts = Counts()  # applied
    preview_counts: Counts = Counts()  # what the preview found (created = new, updated = changed)
    rollback_counts: RollbackCounts = RollbackCounts()

    # The header row as uploaded, and the customer field each column maps to (None: ignored).
    headers: list[str] = Field(default_factory=list)
    header_row: int = 0
    fields: list[str | None] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # Field -> {value in the file: value stored}: the admin's value map, else the one remembered for the tenant.
    value_map: dict[str, dict[str, str]] = Field(default_factory=dict)
    upload_size: int = 0  # bytes: the split runs again, without a new upload event, after a mapping review
    mapping_reviewed_at: datetime | None = None

    error_code: str | None = None
    error: str | None = None
    error_report_key: str | None = None
    notice_message_id: str | None = None
    notice_error: str | None = None  # the mail service refused the latest notice for good
    notified_at: datetime | None = None  # of the notice of the latest phase (reset when a new phase starts)

    # Preview: the diff workbook, and until when the preview (or a mapping waiting for review) can be confirmed.
    diff_report_key: str | None = None
    previewed_at: datetime | None = None
    preview_expires_at: datetime | None = None
    confirmed_at: datetime | None = None
    # Undo: until when the before-images are kept, and how the rollback went.
    undo_until: datetime | None = None
    rollback_runs: int = 0  # a rollback that failed or left customers unprocessed can run again
    rollback_requested_at: datetime | None = None
    rollback_requested_by: str | None = None
    rolled_back_at: datetime | None = None
    rollback_report_key: str | None = None

    def chunks(self, phase: Phase | None = None) -> ChunkProgress:
        return self.progress.get(phase or self.phase) or ChunkProgress()

    def run_of(self, phase: Phase) -> int:
        """Which run of a phase is the latest: a rollback can run again, a preview and an apply run once."""
        return self.rollback_runs if phase is Phase.ROLLBACK else 0

    @property
    def run(self) -> int:
        return self.run_of(self.phase)

    def expects(self, message: "ChunkMessage") -> bool:
        """Whether the message is a chunk the job's current phase and run is still waiting for (anything else is a
        late duplicate, or belongs to a phase or run that is over)."""
        return (
            message.phase is self.phase
            and message.run == self.run
            and self.status is self.phase.running_status
            and message.chunk not in self.counted_chunks
        )

    @property
    def has_preview(self) -> bool:
        """Previewed, or to be: its status and history show the preview's findings."""
        return self.previewed_at is not None or self.options.preview

    @property
    def has_rollback(self) -> bool:
        """A rollback was asked for: its status and history show what it did."""
        return self.rollback_requested_at is not None

    @property
    def counted_chunks(self) -> set[int]:
        """Chunks the current phase has counted."""
        return self.chunks().counted

    @property
    def all_chunks_counted(self) -> bool:
        return self.chunks_total > 0 and len(self.counted_chunks) >= self.chunks_total

    @property
    def rows_processed(self) -> int:
        done = (self.preview_counts if self.phase is Phase.PREVIEW else self.counts).rows_done
        return min(done, self.rows_total) if self.rows_total else done

    @property
    def percent(self) -> int:
        if self.status.waits_for_admin:
            return 100
        if self.phase is Phase.ROLLBACK:
            return min(99, len(self.counted_chunks) * 100 // max(1, self.chunks_total))
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
    phase: Phase = Phase.APPLY
    run: int = Field(default=0, ge=0)  # which run of the phase (a rollback can run again)
    group: int = Field(default=0, ge=0)  # the chunk's message group among its tenant's (logic.split)

    @property
    def message_group(self) -> str:
        """Chunks sharing a key share a group, so they run in file order; a rollback's run in one group of their
        own, last chunk first, unwinding a customer two chunks touched in order."""
        if self.phase is Phase.ROLLBACK:
            return f"{self.tenant_id}#undo"
        return f"{self.tenant_id}#{self.group}"
