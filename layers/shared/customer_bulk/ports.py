"""What logic needs of storage and AWS, as typed interfaces (Protocols), and the bundle a handler passes down.

Logic receives a ``Stores`` and never builds a client: a handler passes ``dal.stores()`` (the real ones, built once
per execution environment), a test passes fakes. ``dal`` holds the only implementations that talk to AWS.
"""

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from customer_bulk.models.export import ExportJob, ExportPart, ExportStatus
from customer_bulk.models.job import ChunkMessage, Counts, ImportJob, JobStatus, Phase, RollbackCounts
from customer_bulk.models.job_events import WebhookTarget
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.storage_layout import Item, KeyWrite


class CustomerStorePort(Protocol):
    def homes_of(self, tenant_id: str, customer_ids: Iterable[str]) -> dict[str, str]: ...

    def tenant_customers(
        self, tenant_id: str, after_id: str | None = None, last_id: str | None = None, full: bool = False
    ) -> Iterator[Item]: ...

    def get_many(self, addresses: Iterable[str]) -> dict[str, Item]: ...

    def write_if_unchanged(self, writes: Iterable[KeyWrite]) -> set[str]: ...


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
        order: tuple[set[str], set[str]] = (set(), set()),
    ) -> ImportJob | None: ...

    def active_jobs_updated_before(self, status: JobStatus, before: datetime) -> list[tuple[str, str]]: ...

    def remembered_mapping(self, tenant_id: str, signature: str) -> dict[str, str | None] | None: ...

    def remembered_values(self, tenant_id: str) -> dict[str, dict[str, str]]: ...

    def remember_values(self, tenant_id: str, values: dict[str, dict[str, str]], now: datetime) -> None: ...

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

    def settle_notice(self, tenant_id: str, job_id: str, kind: str, notice: str, outcome: str) -> None: ...

    def webhook_secret_nonce(self, tenant_id: str) -> tuple[str, datetime | None]: ...

    def rotate_webhook_secret(self, tenant_id: str, nonce: str, now: datetime) -> None: ...

    def import_history(
        self,
        tenant_id: str,
        limit: int,
        after: str | None = None,
        statuses: Collection[str] = (),
        types: Collection[str] = (),
    ) -> tuple[list[ImportJob], str | None]: ...

    def export_history(
        self, tenant_id: str, limit: int, after: str | None = None, statuses: Collection[str] = ()
    ) -> tuple[list[ExportJob], str | None]: ...


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


class UploadQueuePort(Protocol):
    def resend(self, key: str, size: int) -> None: ...


class WorkflowPort(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> bool: ...


class FunctionPort(Protocol):
    def call(self, payload: dict[str, Any]) -> dict[str, Any]: ...


class MailerPort(Protocol):
    def send_raw(self, sender: str, recipients: list[str], message: bytes) -> str: ...


class FlowBusPort(Protocol):
    def publish(self, events: list[tuple[str, dict[str, Any]]]) -> int: ...


class WebhookPort(Protocol):
    """Reaching a tenant's webhook: its host's addresses, the signed POST, and when the queue tries again."""

    def resolve(self, host: str, port: int) -> list[str]: ...

    def post(self, target: WebhookTarget, body: bytes, headers: dict[str, str], timeout_s: float) -> int: ...

    def retry_later(self, receipt_handle: str, delay_s: int) -> None: ...


class _NotWired:
    """The default of the stores added for job events: fails loudly if a bundle without them is asked."""

    def _fail(self) -> Any:
        raise RuntimeError("This bundle of stores has no job bus, webhook client or webhook key")

    def publish(self, events: list[tuple[str, dict[str, Any]]]) -> int:
        return int(self._fail())

    def resolve(self, host: str, port: int) -> list[str]:
        return list(self._fail())

    def post(self, target: WebhookTarget, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
        return int(self._fail())

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        self._fail()

    def __call__(self) -> bytes:
        return bytes(self._fail())


_NOT_WIRED = _NotWired()


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
    upload_queue: UploadQueuePort  # the splitter's queue: a reviewed mapping sends the upload through it again
    # Job events and the tenants' webhooks (docs/adr/0010); the defaults fail loudly (fakes that need none).
    job_bus: FlowBusPort = field(default=_NOT_WIRED)
    webhooks: WebhookPort = field(default=_NOT_WIRED)
    webhook_key: Callable[[], bytes] = field(default=_NOT_WIRED)  # the stack's secret tenants' secrets derive from
