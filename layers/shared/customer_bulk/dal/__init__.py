"""Data access: the only package that talks to AWS. ``stores()`` is the bundle a handler passes into logic (the
Protocols of ``customer_bulk.ports``), built once per process; each store makes its client on first use."""

from functools import lru_cache

from customer_bulk.dal.customers import CustomerStore
from customer_bulk.dal.files import FileStore
from customer_bulk.dal.flows import FlowBus
from customer_bulk.dal.functions import FunctionCaller
from customer_bulk.dal.jobs import JobStore
from customer_bulk.dal.mailer import Mailer
from customer_bulk.dal.queue import ChunkQueue, UploadQueue
from customer_bulk.dal.secrets import SigningKey
from customer_bulk.dal.webhooks import WebhookClient
from customer_bulk.dal.workflow import Workflow
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings


@lru_cache(maxsize=1)
def stores() -> Stores:
    settings = get_settings()
    return Stores(
        customers=CustomerStore(settings.customers_table),
        jobs=JobStore(settings.jobs_table),
        files=FileStore(settings.files_bucket),
        chunk_queue=ChunkQueue(settings.chunk_queue_url),
        import_workflow=Workflow(settings.import_state_machine_arn),
        export_workflow=Workflow(settings.export_state_machine_arn),
        exporter=FunctionCaller(settings.exporter_function),
        mailer=Mailer(),
        flow_bus=FlowBus(settings.flow_event_bus),
        signing_key=link_signing_key,
        upload_queue=UploadQueue(settings.upload_queue_url),
        job_bus=FlowBus(settings.job_event_bus),  # the same PutEvents batching, on the job bus
        webhooks=WebhookClient(settings.webhook_queue_url),
        webhook_key=webhook_signing_key,
    )


@lru_cache(maxsize=1)
def link_signing_key() -> bytes:
    """Read once per execution environment: a key rotation reaches new environments as they start."""
    return SigningKey(get_settings().link_secret_arn).read()


@lru_cache(maxsize=1)
def webhook_signing_key() -> bytes:
    """The stack's webhook secret, which each tenant's is derived from: read once per execution environment."""
    return SigningKey(get_settings().webhook_secret_arn).read()


__all__ = ["CustomerStore", "FileStore", "JobStore", "link_signing_key", "stores"]
