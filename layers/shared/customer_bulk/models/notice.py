"""What the admin is told when a job ends: the state machine carries it from the report task to the notifier."""

from typing import Literal

from pydantic import BaseModel

from customer_bulk.models.export import ExportLink
from customer_bulk.models.job import Counts


class Notice(BaseModel):
    kind: Literal["import", "export"] = "import"
    tenant_id: str
    job_id: str
    to: list[str]
    file_name: str
    status: str  # the job's final status: completed, rejected or failed
    rows_total: int = 0
    counts: Counts = Counts()
    error: str | None = None
    notes: list[str] = []
    report_url: str | None = None
    report_name: str | None = None
    report_expires_days: int = 7
    files: list[ExportLink] = []  # an export's parts
