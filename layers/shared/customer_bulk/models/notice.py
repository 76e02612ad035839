"""What the admin is told when a phase of a job ends: the state machine carries it from the report task to the
notifier."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from customer_bulk.models.export import ExportLink
from customer_bulk.models.job import Counts, RollbackCounts


class Notice(BaseModel):
    kind: Literal["import", "preview", "rollback", "export"] = "import"
    run: int = 0  # which run of the phase (a rollback can run again): each run's notice is sent once
    import_type: str = "customers"
    tenant_id: str
    job_id: str
    to: list[str]
    file_name: str
    status: str  # the job's status when the phase ended: completed, previewed, rolled_back, rejected or failed
    rows_total: int = 0
    counts: Counts = Counts()
    rollback_counts: RollbackCounts | None = None
    previewed: bool = False  # the import was applied from a confirmed preview
    expires_at: datetime | None = None  # a preview: confirm before this
    error: str | None = None
    notes: list[str] = []
    report_url: str | None = None
    report_name: str | None = None
    report_expires_days: int = 7
    files: list[ExportLink] = []  # an export's parts
    language: str = "en"  # the job's: the notice speaks it
    zone: str = "UTC"  # where the tenant's times are shown (its region's)
    ended_at: datetime | None = None  # when the phase ended

    @property
    def once_key(self) -> str:
        """What makes this notice the same notice when a retried task sends it again."""
        return f"{self.kind}_{self.run}"
