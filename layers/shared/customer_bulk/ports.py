"""What logic needs of storage and AWS, as typed interfaces (Protocols), and the bundle a handler passes down.

Logic receives a ``Stores`` and never builds a client: a handler passes ``dal.stores()`` (the real ones, built once
per execution environment), a test passes fakes. ``dal`` holds the only implementations that talk to AWS.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from customer_bulk.models.export import ExportJob, ExportPart, ExportStatus
from customer_bulk.models.job import ChunkMessage, Counts, ImportJob, JobStatus, Phase, RollbackCounts
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.storage_layout import Item


class CustomerStorePort(Protocol):
    def homes_of(self, tenant_id: str, customer_ids: Iterable[str]) -> dict[str, str]: ...

    def tenant_customers(
        self, tenant_id: str, after_id: str | None = None, last_id: str | None = None, full: bool = False
    ) -> Iterator[Item]: ...

    def get_many(self, addresses: Iterable[str]) -> dict[str, Item]: ...

    def write(self, puts: list[Item], deletes: list[str]) -> None: ...


class JobStorePort(Protocol):
    def create(self, job: ImportJob) -> None: ...

    def get(self, tenant_id: str, job_id: str) -> ImportJob | None: ...

    def require(self, tenant_id: str, job_id: str) -> ImportJob: ...

    def transition(
        self,
        tenant_id: str,
        job_id: str,
        to: JobStatus,
        allowed_from: tuple[JobStatus, ...],
        now: datetime,
        remove: tuple[str, ...] = (),
        expect: Mapping[str, Any] | None = None,
        count: tuple[Phase, str, int] | None = None,
        **fields: Any,
    ) -> ImportJob: ...

    def start_rollback(
        self,
        tenant_id: str,
        job_id: str,
        from_status: JobStatus,
        run: int,
        requested_by: str,
        now: datetime,
        remove: tuple[str, ...] = (),
    ) -> ImportJob: ...

    def count_chunk(
        self,
        tenant_id: str,
        job_id: str,
        chunk: int,
        counts: Counts | RollbackCounts,
        now: datetime,
        phase: Phase = Phase.APPLY,
        failed: bool = False,
    ) -> ImportJob | None: ...

    def active_jobs_updated_before(self, status: JobStatus, before: datetime) -> list[tuple[str, str]]: ...

    def remembered_mapping(self, tenant_id: str, signature: str) -> dict[str, str | None] | None: ...

    def remember_mapping(
        self, tenant_id: str, signature: str, mapping: dict[str, str | None], now: datetime
    ) -> None: ...

    def tenant_settings(self, tenant_id: str) -> TenantSettings: ...

    def tenant_settings_revision(self, tenant_id: str) -> tuple[TenantSettings, int]: ...

    def put_tenant_settings(self, tenant_id: str, settings: TenantSettings, revision: int | None = None) -> int: ...

    def create_export(self, job: ExportJob) -> None: ...

    def get_export(self, tenant_id: str, export_id: str) -> ExportJob | None: ...

    def require_export(self, tenant_id: str, export_id: str) -> ExportJob: ...

    def save_export(self, job: ExportJob, was: ExportStatus) -> None: ...

    def export_part_done(self, tenant_id: str, export_id: str, part: ExportPart, now: datetime) -> None: ...

    def claim_notice(self, tenant_id: str, job_id: str, kind: str, notice: str, now: datetime) -> str | None: ...

    def release_notice(self, tenant_id: str, job_id: str, kind: str, notice: str) -> None: ...

    def record_notice(
        self, tenant_id: str, job_id: str, message_id: str, now: datetime, kind: str = "import", notice: str = ""
    ) -> None: ...

    def record_notice_refused(
        self, tenant_id: str, job_id: str, kind: str, notice: str, reason: str, now: datetime
    ) -> None: ...


class FileStorePort(Protocol):
    def presigned_upload(self, key: str, prefix: str, max_bytes: int, expires_in: int) -> dict[str, Any]: ...

    def download(self, key: str, path: Path) -> None: ...

    def put_json_lines(self, key: str, records: Iterable[dict[str, Any]]) -> None: ...

    def read_json_lines(self, key: str) -> list[dict[str, Any]]: ...

    def put_json(self, key: str, data: dict[str, Any], tags: dict[str, str] | None = None) -> None: ...

    def get_json(self, key: str) -> dict[str, Any] | None: ...

    def put_file(self, key: str, path: Path, content_type: str) -> None: ...

    def presigned_download(self, key: str, file_name: str, expires_in: int) -> str: ...

    def keys_under(self, prefix: str) -> list[str]: ...

    def delete_keys(self, keys: list[str]) -> None: ...


class ChunkQueuePort(Protocol):
    def send(self, messages: list[ChunkMessage]) -> None: ...


class WorkflowPort(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> bool: ...


class FunctionPort(Protocol):
    def call(self, payload: dict[str, Any]) -> dict[str, Any]: ...


class MailerPort(Protocol):
    def send_raw(self, sender: str, recipients: list[str], message: bytes) -> str: ...


class FlowBusPort(Protocol):
    def publish(self, events: list[tuple[str, dict[str, Any]]]) -> int: ...


@dataclass(frozen=True)
class Stores:
    """Everything logic reaches outside itself."""

    customers: CustomerStorePort
    jobs: JobStorePort
    files: FileStorePort
    chunk_queue: ChunkQueuePort
    import_workflow: WorkflowPort
    export_workflow: WorkflowPort
    exporter: FunctionPort
    mailer: MailerPort
    flow_bus: FlowBusPort
    signing_key: Callable[[], bytes]  # the download links' key, read once per execution environment
