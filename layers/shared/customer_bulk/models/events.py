"""The AWS events our functions receive, as far as we read them."""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field, Json

from customer_bulk.models.job import ChunkMessage, Phase


class S3ObjectRef(BaseModel):
    key: str
    size: int = 0


class S3Entity(BaseModel):
    object_ref: S3ObjectRef = Field(alias="object")


class S3EventRecord(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    event_name: str = Field(alias="eventName")
    s3: S3Entity


class S3Notification(BaseModel):
    """An S3 event notification; S3's "s3:TestEvent" (sent when notifications are configured) has no records."""

    records: list[S3EventRecord] = Field(default_factory=list, alias="Records")


class UploadRecord(SqsRecordModel):
    body: Json[S3Notification]


class ChunkRecord(SqsRecordModel):
    body: Json[ChunkMessage]


class ReportTask(BaseModel):
    """Input of the import report task: the phase that ended; ``failure`` is the state machine's caught error."""

    tenant_id: str
    job_id: str
    phase: Phase = Phase.APPLY
    failure: dict[str, Any] | None = None


class ExportTask(BaseModel):
    """Input of the export state machine's tasks; ``part`` for the writer, ``failure`` when a step failed."""

    tenant_id: str
    export_id: str
    part: int | None = None
    failure: dict[str, Any] | None = None
