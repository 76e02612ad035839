"""Where a job's files live in the files bucket. Every path starts with the tenant: prefixes are tenant-scoped."""

import re
from dataclasses import dataclass

from customer_bulk.models.job import Phase

UPLOADS = "uploads"
JOBS = "jobs"
# Applied decisions hold the before-images an undo restores; their own prefix lets them outlive the job's other
# files by the tenant's retention (lifecycle rules on the object's retention tag, template.yaml).
UNDO = "undo"
RETENTION_TAG = "retention-days"
_UPLOAD_KEY = re.compile(r"^uploads/(?P<tenant>[A-Za-z0-9_-]{1,64})/(?P<job>[0-9A-HJKMNP-TV-Z]{26})/(?P<name>[^/]+)$")


def safe_file_name(name: str) -> str:
    """A name that is safe as an S3 key segment and in a Content-Disposition header, keeping its extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = re.sub(r"[^\w.\- ]+", "_", base, flags=re.UNICODE).strip(" .") or "upload"
    return cleaned[-120:]


@dataclass(frozen=True, slots=True)
class JobPaths:
    tenant_id: str
    job_id: str

    @property
    def upload_prefix(self) -> str:
        return f"{UPLOADS}/{self.tenant_id}/{self.job_id}/"

    def upload(self, file_name: str) -> str:
        return self.upload_prefix + safe_file_name(file_name)

    @property
    def root(self) -> str:
        return f"{JOBS}/{self.tenant_id}/{self.job_id}/"

    @property
    def chunks(self) -> str:
        return f"{self.root}chunks/"

    def chunk(self, number: int) -> str:
        return f"{self.chunks}{number:05d}.jsonl"

    def decisions(self, phase: Phase = Phase.APPLY, run: int = 0) -> str:
        """Where a phase (a rollback: each run of it) records its chunks' decisions; an applied one carries the
        before-images."""
        if phase is Phase.APPLY:
            return f"{UNDO}/{self.tenant_id}/{self.job_id}/"
        return f"{self.root}{phase.value}/{run}/"

    def decision(self, number: int, phase: Phase = Phase.APPLY, run: int = 0) -> str:
        return f"{self.decisions(phase, run)}{number:05d}.json"

    def report(self, file_name: str) -> str:
        return f"{self.root}reports/{file_name}"

    @property
    def mapping_review(self) -> str:
        return f"{self.root}mapping-review.json"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(tenant, job) of an upload key, or None for anything that is not one of our presigned uploads."""
    match = _UPLOAD_KEY.match(key)
    return (match["tenant"], match["job"]) if match else None
