"""Exactly-once effect on top of at-least-once delivery: duplicates, crashes and poison messages."""

from pathlib import Path
from typing import Any

import pytest

import customer_bulk.logic.chunks as chunks
from customer_bulk.dal.customers import CustomerStore
from customer_bulk.storage_layout import KeyWrite
from customer_bulk_local.client import ApiClient
from tests.conftest import ADMIN, CHUNK_ROWS, run_import, settle, stored_customers, stored_items

VOLATILE = {"customer_id", "created_at", "updated_at", "created_by_job", "updated_by_job", "tenant_id", "tenant_shard"}
COUNTS = ("created", "updated", "unchanged", "skipped", "invalid", "warnings", "not_processed")


def comparable(stack: Any, tenant: str) -> dict[str, dict[str, Any]]:
    """A tenant's customers without what differs between two tenants by nature (ids, times, job ids)."""
    return {
        key: {name: value for name, value in item.items() if name not in VOLATILE and name != "pk"}
        for key, item in stored_customers(stack, tenant).items()
    }


@pytest.fixture
def two_tenants(stack: Any, tmp_path: Path, xlsx: Any) -> Any:
    """Two tenants holding the same 60 customers, and a file that creates, updates, keeps and rejects rows."""
    existing = [[f"c{i}@shop.vn", f"0912{i:06d}", f"Name {i}"] for i in range(60)]
    headers = ["Email", "Phone", "First Name"]
    clients = [ApiClient(stack.api_url, f"t-{tmp_path.name[-20:]}-{n}", ADMIN, language="en") for n in (1, 2)]
    for client in clients:
        assert run_import(stack, client, xlsx(headers, existing), tmp_path=tmp_path).status["created"] == 60
    rows = [[f"c{i}@shop.vn", f"0912{i:06d}", f"Renamed {i}" if i % 2 else f"Name {i}"] for i in range(60)]
    rows += [[f"new{i}@shop.vn", f"0913{i:06d}", f"New {i}"] for i in range(80)]
    rows += [["broken", "", "x"], ["", "", "y"]]
    return clients, xlsx(headers, rows)


def test_every_message_delivered_twice_gives_the_same_customers_and_counts(stack: Any, two_tenants: Any) -> None:
    (clean, doubled), path = two_tenants
    clean_run = run_import(stack, clean, path)
    stack.deliver_twice(True)
    try:
        doubled_run = run_import(stack, doubled, path)
    finally:
        stack.deliver_twice(False)
    assert [doubled_run.status[k] for k in COUNTS] == [clean_run.status[k] for k in COUNTS]
    assert (clean_run.status["created"], clean_run.status["updated"], clean_run.status["invalid"]) == (80, 30, 2)
    assert comparable(stack, doubled.tenant) == comparable(stack, clean.tenant)
    assert len(doubled_run.emails) == 1


def test_a_crash_half_way_through_a_chunk_loses_nothing_and_doubles_nothing(
    stack: Any, two_tenants: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean, crashing), path = two_tenants
    clean_run = run_import(stack, clean, path)
    crashing_tenant = crashing.tenant
    real_write = CustomerStore.write_if_unchanged
    crashed: set[str] = set()

    def write_half_then_crash(self: CustomerStore, writes: list[KeyWrite]) -> set[str]:
        first = writes[0].address if writes else ""
        if first.startswith(crashing_tenant) and first not in crashed:
            crashed.add(first)
            real_write(self, writes[: len(writes) // 2])
            raise RuntimeError("the function was killed half-way through its writes")
        return real_write(self, writes)

    monkeypatch.setattr(CustomerStore, "write_if_unchanged", write_half_then_crash)
    crashed_run = run_import(stack, crashing, path)

    assert len(crashed) == 3  # every chunk that writes crashed once (142 rows in chunks of 50)
    assert [crashed_run.status[k] for k in COUNTS] == [clean_run.status[k] for k in COUNTS]
    assert comparable(stack, crashing_tenant) == comparable(stack, clean.tenant)
    keys = [item["pk"].split("#", 1)[1] for item in stored_items(stack, crashing_tenant)]
    assert len(keys) == len(set(keys)) == 140 + 140  # one home and one phone pointer per customer


def test_a_chunk_that_wrote_then_kept_dying_is_still_undone(
    stack: Any, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = chunks._write

    def writes_then_dies(stores: Any, job: Any, message: Any, decision: Any, now: Any, tags: Any) -> Any:
        written = real_write(stores, job, message, decision, now, tags)
        if job.tenant_id == tenant and message.chunk == 1:
            raise RuntimeError("the function dies after its writes, every time")
        return written

    monkeypatch.setattr(chunks, "_write", writes_then_dies)
    rows = [[f"w{i}@shop.vn", f"W {i}"] for i in range(2 * CHUNK_ROWS)]
    run = importer(xlsx(["Email", "First Name"], rows))
    assert (run.status["created"], run.status["not_processed"]) == (CHUNK_ROWS, CHUNK_ROWS)
    assert len(stored_customers(stack, tenant)) == 2 * CHUNK_ROWS  # chunk 1's writes landed before each death

    # The dead-lettered chunk still told the job when it wrote (for an undo's order), and an undo removes its rows.
    job = stack.client("dynamodb").get_item(
        TableName=stack.physical("JobsTable")["Name"],
        Key={"pk": {"S": f"TENANT#{tenant}"}, "sk": {"S": f"JOB#{run.job_id}"}},
    )["Item"]
    assert {stamp.split("@")[0] for stamp in job["applied_stamps"]["SS"]} == {"0", "1"}
    api.rollback(run.job_id)
    assert settle(stack, api, run.job_id, tmp_path).status["status"] == "rolled_back"
    assert stored_customers(stack, tenant) == {}


def test_a_poison_chunk_ends_in_the_dead_letter_queue_and_the_job_still_finishes(
    stack: Any, tenant: str, importer: Any, xlsx: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_decide = chunks.decide

    def poisoned(stores: Any, job: Any, message: Any, now: Any) -> Any:
        if job.tenant_id == tenant and message.chunk == 1:
            raise ValueError("this chunk cannot be processed")
        return real_decide(stores, job, message, now)

    monkeypatch.setattr(chunks, "decide", poisoned)
    rows = [[f"p{i}@shop.vn", f"P {i}"] for i in range(3 * CHUNK_ROWS - 10)]
    run = importer(xlsx(["Email", "First Name"], rows))

    assert run.status["status"] == "completed"
    assert (run.status["created"], run.status["not_processed"]) == (len(rows) - CHUNK_ROWS, CHUNK_ROWS)
    assert len(stored_customers(stack, tenant)) == len(rows) - CHUNK_ROWS
    reported = run.report_rows("Invalid rows")[1:]
    assert [row[0] for row in reported] == [f"p{i}@shop.vn" for i in range(CHUNK_ROWS, 2 * CHUNK_ROWS)]
    assert reported[0][-1].startswith(f"Row {CHUNK_ROWS + 2}: Not processed: this part of the file failed repeatedly")
    assert "Not processed:" in run.emails[0].text
    stack.wait_until_idle()  # nothing left in any queue, dead letters included


def test_two_imports_at_once_never_make_two_customers_of_one_key(
    stack: Any, api: ApiClient, tenant: str, xlsx: Any
) -> None:
    headers = ["Email", "Phone", "First Name"]
    first = xlsx(headers, [[f"s{i}@shop.vn", f"0914{i:06d}", "A"] for i in range(0, 150)])
    second = xlsx(headers, [[f"s{i}@shop.vn", f"0914{i:06d}", "B"] for i in range(100, 250)])
    jobs = []
    for path in (first, second):
        created = api.create_import(path.name)
        jobs.append(created["job_id"])
        api.upload(created["upload"], path)
    statuses = [api.wait(job, timeout_s=120, poll_s=0.05) for job in jobs]

    customers = stored_customers(stack, tenant)  # asserts that no email is stored twice
    assert len(customers) == 250
    assert sum(status["created"] for status in statuses) == 250
    assert sum(status["updated"] + status["unchanged"] for status in statuses) == 50
    pointers = [item for item in stored_items(stack, tenant) if item["kind"] == "pointer"]
    assert len(pointers) == 250


def test_no_metric_values_pile_up_between_invocations(
    importer: Any, csv_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Lambda every invocation flushes its metrics; one local process serves them all, and Powertools publishes
    (and, without a namespace, fails) once a metric holds 100 unflushed values."""
    from customer_bulk.observability import metrics

    emitted: list[str] = []
    add_metric = metrics.add_metric

    def counted(name: str, *args: Any, **kwargs: Any) -> None:
        emitted.append(name)
        add_metric(name, *args, **kwargs)

    monkeypatch.setattr(metrics, "add_metric", counted)
    for _ in range(2):
        assert importer(csv_file(["Email"], [["a@shop.vn"], ["b@shop.vn"]])).status["status"] == "completed"
    assert {"ImportsStarted", "RowsUploaded", "NoticesSent"} <= set(emitted)  # metrics were emitted...
    assert metrics.metric_set == {}  # ...and none was left behind
