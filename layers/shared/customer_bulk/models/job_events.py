"""What a tenant's systems are told when a phase of a job ends: the event on the stack's job bus, which is also the
body of the tenant's webhook (docs/adr/0010)."""

from datetime import datetime
from typing import Literal, get_args

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field, Json

# The event's detail-type (and its ``type``): what ended, and how.
JobEventType = Literal[
    "import.completed",
    "import.previewed",
    "import.rolled_back",
    "import.failed",
    "export.completed",
    "export.failed",
]
JOB_EVENT_TYPES: tuple[str, ...] = get_args(JobEventType)


class JobEventLink(BaseModel):
    """A file the phase wrote, through the stack's download route (the same links as the notice's)."""

    name: str
    url: str
    expires_at: datetime | None = None
    rows: int | None = None  # export parts: the customers in the file, which rows of the export they are
    first_row: int | None = None
    last_row: int | None = None
    size_bytes: int | None = None


class JobEvent(BaseModel):
    """One per phase run of a job: ``event_id`` stays the same if it is ever delivered twice."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    type: JobEventType
    version: int = 1
    tenant_id: str
    job_id: str
    kind: Literal["import", "preview", "rollback", "export"]
    run: int = 0  # which run of the phase (a rollback can run again)
    import_type: str | None = None
    status: str  # the job's status when the phase ended: completed, previewed, rolled_back, rejected or failed
    file_name: str | None = None  # the uploaded file (imports)
    rows_total: int = 0
    counts: dict[str, int] = {}
    error: str | None = None  # in the job's language
    language: str
    finished_at: datetime | None = None
    links: list[JobEventLink] = []


class EventBridgeJobEvent(BaseModel):
    """A job event as an EventBridge rule hands it to a queue."""

    id: str
    detail_type: str = Field(alias="detail-type")
    source: str
    detail: JobEvent


class JobEventRecord(SqsRecordModel):
    body: Json[EventBridgeJobEvent]


SIGNATURE_HEADER = "X-Customer-Bulk-Signature"  # t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">


class WebhookSecret(BaseModel):
    """The tenant's webhook signing secret (``GET`` reads it, ``POST`` replaces it with a new one)."""

    secret: str
    rotated_at: datetime | None = None
    header: str = SIGNATURE_HEADER
    scheme: str = "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>' keyed with the secret>"


class WebhookTarget(BaseModel):
    """A webhook URL once checked: where to connect (the address that was checked, so a second DNS answer cannot
    send the request elsewhere) and what to ask for there."""

    model_config = ConfigDict(frozen=True)

    scheme: Literal["http", "https"]
    host: str
    port: int
    path: str  # with its query
    address: str
