"""Data access: the only package that talks to AWS. Each store is built once per process, on first use."""

from functools import lru_cache

from customer_bulk.dal.customers import CustomerStore
from customer_bulk.dal.files import FileStore
from customer_bulk.dal.flows import FlowBus
from customer_bulk.dal.functions import FunctionCaller
from customer_bulk.dal.jobs import JobStore
from customer_bulk.dal.mailer import Mailer
from customer_bulk.dal.queue import ChunkQueue
from customer_bulk.dal.secrets import SigningKey
from customer_bulk.dal.workflow import Workflow
from customer_bulk.settings import get_settings


@lru_cache(maxsize=1)
def customer_store() -> CustomerStore:
    return CustomerStore(get_settings().customers_table)


@lru_cache(maxsize=1)
def job_store() -> JobStore:
    return JobStore(get_settings().jobs_table)


@lru_cache(maxsize=1)
def file_store() -> FileStore:
    return FileStore(get_settings().files_bucket)


@lru_cache(maxsize=1)
def chunk_queue() -> ChunkQueue:
    return ChunkQueue(get_settings().chunk_queue_url)


@lru_cache(maxsize=1)
def import_workflow() -> Workflow:
    return Workflow(get_settings().import_state_machine_arn)


@lru_cache(maxsize=1)
def mailer() -> Mailer:
    return Mailer()


@lru_cache(maxsize=1)
def export_workflow() -> Workflow:
    return Workflow(get_settings().export_state_machine_arn)


@lru_cache(maxsize=1)
def exporter() -> FunctionCaller:
    return FunctionCaller(get_settings().exporter_function)


@lru_cache(maxsize=1)
def flow_bus() -> FlowBus:
    return FlowBus(get_settings().flow_event_bus)


@lru_cache(maxsize=1)
def link_signing_key() -> bytes:
    """Read once per execution environment: a key rotation reaches new environments as they start."""
    return SigningKey(get_settings().link_secret_arn).read()


__all__ = [
    "CustomerStore",
    "FileStore",
    "JobStore",
    "chunk_queue",
    "customer_store",
    "export_workflow",
    "exporter",
    "file_store",
    "flow_bus",
    "import_workflow",
    "job_store",
    "link_signing_key",
    "mailer",
]
