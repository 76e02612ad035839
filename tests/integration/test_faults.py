"""AWS has bad moments: throttling, unprocessed batch items, 5xx from S3, a mail service that says no. Each is
injected on the local stack; the import ends with the same customers and exact counts, retries stay bounded, and
the admin is told."""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from customer_bulk.observability import logger
from customer_bulk_local.client import ApiClient
from customer_bulk_local.emulator import LocalStack
from customer_bulk_local.faults import Fault
from tests.conftest import ADMIN, run_import, stored_customers

ROWS = [[f"c{i}@shop.vn", f"09110{i:05d}", f"Khách {i}"] for i in range(120)] + [["broken", "", "Lỗi"]]


@pytest.fixture
def faults(stack: LocalStack) -> Iterator[Any]:
    yield stack.faults
    stack.faults.clear()


@pytest.fixture
def clean_run(stack: LocalStack, tenant: str, csv_file: Any, tmp_path: Path) -> Any:
    """What the file gives another tenant when nothing goes wrong, to compare against."""
    other = ApiClient(stack.api_url, f"{tenant}-clean", ADMIN, language="en")
    return run_import(stack, other, csv_file(["Email", "Phone", "First Name"], ROWS), tmp_path=tmp_path)


def _same_outcome(run: Any, clean: Any, stack: LocalStack, tenant: str) -> None:
    counts = ("status", "rows_total", "created", "updated", "unchanged", "invalid", "not_processed")
    assert {k: run.status[k] for k in counts} == {k: clean.status[k] for k in counts}
    assert run.status["created"] == 120 and run.status["invalid"] == 1
    assert sorted(stored_customers(stack, tenant)) == sorted(f"c{i}@shop.vn" for i in range(120))
    subjects = [email.subject.split(" - ", 1)[1] for email in (*run.emails, *clean.emails)]
    assert len(run.emails) == len(clean.emails) == 1 and subjects[0] == subjects[1]  # the same counts, mailed once


def test_throttled_and_half_done_dynamodb_batches_change_nothing(
    stack: LocalStack, tenant: str, faults: Any, clean_run: Any, importer: Any, csv_file: Any
) -> None:
    unprocessed_writes = faults.add(Fault("dynamodb", "BatchExecuteStatement", "unprocessed", times=4))
    unprocessed_reads = faults.add(Fault("dynamodb", "BatchGetItem", "unprocessed", times=4))
    throttled = faults.add(Fault("dynamodb", "BatchExecuteStatement", "throttle", times=2))
    run = importer(csv_file(["Email", "Phone", "First Name"], ROWS))
    assert (unprocessed_writes.fired, unprocessed_reads.fired, throttled.fired) == (4, 4, 2)
    _same_outcome(run, clean_run, stack, tenant)


def test_s3_slowdowns_and_errors_on_chunk_files_change_nothing(
    stack: LocalStack, tenant: str, faults: Any, clean_run: Any, importer: Any, csv_file: Any
) -> None:
    chunks = f"jobs/{tenant}/"
    writes = faults.add(Fault("s3", "PutObject", "throttle", times=3, key_prefix=chunks))
    reads = faults.add(Fault("s3", "GetObject", "server_error", times=3, key_prefix=chunks))
    # More 500s in a row than the SDK retries (8 attempts): the chunk fails, SQS delivers it again, it passes.
    stubborn = faults.add(Fault("s3", "GetObject", "server_error", times=9, key_prefix=f"undo/{tenant}/"))
    before = stack.request_counts()
    run = importer(csv_file(["Email", "Phone", "First Name"], ROWS))
    assert (writes.fired, reads.fired, stubborn.fired) == (3, 3, 9)
    _same_outcome(run, clean_run, stack, tenant)
    assert stack.request_counts()["s3:GET"] - before["s3:GET"] < 200  # bounded: no retry storm


def test_a_throttled_mail_service_is_retried_and_a_refusal_is_recorded_not_retried(
    stack: LocalStack, tenant: str, faults: Any, importer: Any, csv_file: Any
) -> None:
    throttled = faults.add(Fault("sesv2", "SendEmail", "throttle", times=2))
    sent = importer(csv_file(["Email"], [["a@shop.vn"]]))
    assert throttled.fired == 2 and len(sent.emails) == 1 and sent.status["notice_error"] is None

    refused = faults.add(Fault("sesv2", "SendEmail", "reject", times=50))
    before = stack.request_counts()
    with function_logs() as logs:
        run = importer(csv_file(["Email"], [["b@shop.vn"]]))
    assert run.status["status"] == "completed" and run.status["created"] == 1
    assert run.emails == [] and run.status["notified_at"] is None
    assert run.status["notice_error"].startswith("MessageRejected: Email address is not verified.")
    assert refused.fired == 1  # decided once: never retried
    assert stack.request_counts()["ses:POST"] - before["ses:POST"] == 1
    # The refusal quotes the admin's address; the log says why, without it.
    assert "Notice refused by the mail service" in logs.getvalue()
    assert ADMIN not in logs.getvalue() and "a***@shop.example" in logs.getvalue()


@contextmanager
def function_logs() -> Iterator[io.StringIO]:
    """What the functions log (Powertools' handler), while the block runs."""
    handler = logger.registered_handler
    captured = io.StringIO()
    previous = handler.setStream(captured)  # type: ignore[attr-defined]
    try:
        yield captured
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]


def test_an_export_survives_throttled_reads_and_writes(
    stack: LocalStack, tenant: str, faults: Any, importer: Any, csv_file: Any, api: Any, tmp_path: Path
) -> None:
    importer(csv_file(["Email", "Phone", "First Name"], ROWS))
    faults.add(Fault("dynamodb", "Query", "throttle", times=3))
    faults.add(Fault("s3", "PutObject", "throttle", times=2, key_prefix=f"exports/{tenant}/"))
    export = api.create_export({"format": "csv"})
    assert (export["status"], export["rows"]) == ("completed", 121 - 1)
    lines = api.download(export["files"][0]["url"], tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 121
