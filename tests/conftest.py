"""Shared fixtures: one local stack per test process, a fresh tenant per test (tenants are isolated), and helpers
that drive imports through the HTTP API the way the web client and the CLI do."""

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any, cast

import openpyxl
import pytest

from customer_bulk.dal.dynamo import from_attributes
from customer_bulk.ports import Stores
from customer_bulk_local.client import ApiClient
from customer_bulk_local.emulator import LocalStack, SentEmail
from customer_bulk_local.product import start_stack
from customer_bulk_local.samples import write_csv, write_xlsx

ADMIN = "admin@shop.example"
CHUNK_ROWS = 50


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    # Failed messages come back at once, Step Functions retries wait 1/1000 of their interval and the SDK's 1/100:
    # the same behaviour as on AWS, minus the waiting.
    # Small chunks, so that a file of a few hundred rows spans several validator invocations.
    local = start_stack(
        sqs_retry_delay_s=0, sfn_retry_scale=0.001, sdk_retry_scale=0.01, parameters={"ChunkRows": CHUNK_ROWS}
    )
    yield local
    denied, local.iam_denied = local.iam_denied, []
    local.stop()
    # A refusal a function swallowed (a retry that later passed) is still a role too narrow for the code.
    assert denied == [], f"calls the template's roles do not allow: {denied}"


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def api(stack: LocalStack, tenant: str) -> ApiClient:
    # A fresh tenant speaks Vietnamese (region VN); these tests read English, so the client asks for it.
    return ApiClient(stack.api_url, tenant, ADMIN, language="en")


@dataclass
class ImportRun:
    job_id: str
    status: dict[str, Any]
    emails: list[SentEmail]
    report: Path | None

    def report_rows(self, sheet: str = "Invalid rows") -> list[list[Any]]:
        assert self.report is not None, "no error report was produced"
        book = openpyxl.load_workbook(self.report)
        return [list(row) for row in book[sheet].iter_rows(values_only=True)]


def workbook_rows(path: Path, sheet: str) -> list[list[Any]]:
    return [list(row) for row in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True)]


def settle(stack: LocalStack, api: ApiClient, job_id: str, tmp_path: Path, timeout_s: float = 120) -> ImportRun:
    """Wait for the phase a confirm or rollback started, like run_import does for an upload."""
    status = api.wait(job_id, timeout_s=timeout_s, poll_s=0.05)
    report = None
    if status.get("error_report_url"):
        report = api.download(status["error_report_url"], tmp_path / f"{job_id}-{status['status']}.xlsx")
    return ImportRun(job_id, status, stack.sent_emails(job_id), report)


def run_import(
    stack: LocalStack,
    api: ApiClient,
    path: Path,
    options: dict[str, Any] | None = None,
    tmp_path: Path | None = None,
    timeout_s: float = 120,
) -> ImportRun:
    created = api.create_import(path.name, options)
    api.upload(created["upload"], path)
    status = api.wait(created["job_id"], timeout_s=timeout_s, poll_s=0.05)
    report = None
    if status.get("error_report_url"):
        report = api.download(status["error_report_url"], (tmp_path or path.parent) / f"{created['job_id']}.xlsx")
    return ImportRun(created["job_id"], status, stack.sent_emails(created["job_id"]), report)


def place_upload(
    stack: LocalStack, api: ApiClient, path: Path, tmp_path: Path, options: dict[str, Any] | None = None
) -> ImportRun:
    """An upload that did not come through the presigned form (an operator's copy into the bucket, a policy
    bypassed): what the splitter itself refuses, S3's form conditions aside."""
    created = api.create_import(path.name, options)
    bucket = stack.physical("FilesBucket")["Name"]
    stack.client("s3").put_object(Bucket=bucket, Key=created["upload"]["fields"]["key"], Body=path.read_bytes())
    status = api.wait(created["job_id"], timeout_s=120, poll_s=0.05)
    return ImportRun(created["job_id"], status, stack.sent_emails(created["job_id"]), None)


@pytest.fixture
def importer(stack: LocalStack, api: ApiClient, tmp_path: Path) -> Any:
    def _run(path: Path, options: dict[str, Any] | None = None, **kwargs: Any) -> ImportRun:
        return run_import(stack, api, path, options, tmp_path, **kwargs)

    return _run


@pytest.fixture
def xlsx(tmp_path: Path) -> Any:
    counter = iter(range(1_000_000))

    def _write(headers: Sequence[str], rows: Sequence[Sequence[Any]], name: str | None = None) -> Path:
        return write_xlsx(tmp_path / (name or f"customers-{next(counter)}.xlsx"), headers, rows)

    return _write


@pytest.fixture
def csv_file(tmp_path: Path) -> Any:
    counter = iter(range(1_000_000))

    def _write(headers: Sequence[str], rows: Sequence[Sequence[Any]], name: str | None = None, **kwargs: Any) -> Path:
        return write_csv(tmp_path / (name or f"customers-{next(counter)}.csv"), headers, rows, **kwargs)

    return _write


def stored_items(stack: LocalStack, tenant: str) -> list[dict[str, Any]]:
    """Every item (customers and key pointers) of one tenant, read straight from DynamoDB."""
    client = stack.client("dynamodb")
    table = stack.physical("CustomersTable")["Name"]
    items = []
    for page in client.get_paginator("scan").paginate(
        TableName=table, FilterExpression="begins_with(pk, :t)", ExpressionAttributeValues={":t": {"S": f"{tenant}#"}}
    ):
        items.extend(from_attributes(item) for item in page["Items"])
    return items


def stored_customers(stack: LocalStack, tenant: str) -> dict[str, dict[str, Any]]:
    """The tenant's customers by email (or by phone when they have none)."""
    customers = {}
    for item in stored_items(stack, tenant):
        if item["kind"] == "customer":
            key = item.get("email") or item["phone"]
            assert key not in customers, f"two customers share {key}"
            customers[key] = item
    return customers


def fake_stores(**stores: Any) -> Stores:
    """A ``Stores`` of the given fakes; every other store is None, so touching it fails loudly."""
    required = {field.name: None for field in fields(Stores) if field.default is MISSING}
    return Stores(**cast(Any, {**required, **stores}))


def bus_subscriber(
    stack: LocalStack, bus_logical_id: str, tenant: str, name: str
) -> Callable[[], list[dict[str, Any]]]:
    """A subscriber to one tenant's events on a bus of the stack (a rule into a queue of the test's): a function
    answering, each time it is called, the events received since the last call."""
    sqs, events = stack.client("sqs"), stack.client("events")
    bus = stack.physical(bus_logical_id)["Name"]
    queue = sqs.create_queue(QueueName=f"{name}-{tenant}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["customer-bulk"], "detail": {"tenant_id": [tenant]}}
    events.put_rule(Name=f"{name}-{tenant}", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=f"{name}-{tenant}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict[str, Any]]:
        found = []
        while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            found += [json.loads(message["Body"]) for message in batch]
            entries = [{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch]
            sqs.delete_message_batch(QueueUrl=queue, Entries=entries)
        return found

    return received
