"""Requests and answers of the HTTP API."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from customer_bulk.models.job import ImportJob, ImportOptions, JobStatus

ACCEPTED_SUFFIXES = (".xlsx", ".xls", ".csv")


class CreateImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    options: ImportOptions = ImportOptions()

    @field_validator("file_name")
    @classmethod
    def _spreadsheet_name(cls, value: str) -> str:
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


class ImportStatus(BaseModel):
    """Enough for a progress bar while running, and the outcome when done."""

    job_id: str
    status: JobStatus
    file_name: str
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
    created_at: datetime
    finished_at: datetime | None
    notified_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob, error_report_url: str | None) -> "ImportStatus":
        return cls(
            job_id=job.job_id,
            status=job.status,
            file_name=job.file_name,
            rows_total=job.rows_total,
            rows_processed=job.rows_processed,
            percent=job.percent,
            **job.counts.model_dump(),
            notes=job.notes,
            error_code=job.error_code,
            error=job.error,
            error_report_url=error_report_url,
            created_at=job.created_at,
            finished_at=job.finished_at,
            notified_at=job.notified_at,
        )
