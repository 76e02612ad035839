"""Customers edited by someone else while an import (or its rollback) writes them: no edit is lost, the counts are
exact (docs/adr/0011).

The product's own customer screens and other services write the customers table directly; every such change moves
the customer's ``version``. Here the change lands exactly between the validator's read and its write (the
emulator runs it just before the validator's first conditional write reaches DynamoDB), and, in a second test,
continuously from another thread while a two-chunk import runs.
"""

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import customer_bulk.logic.chunks as chunks
from customer_bulk.dal.dynamo import to_attributes
from customer_bulk.models.customer import Customer
from customer_bulk.storage_layout import customer_item, key_address
from customer_bulk_local.client import ApiClient
from customer_bulk_local.emulator import LocalStack
from customer_bulk_local.faults import Fault
from tests.conftest import CHUNK_ROWS, settle, stored_customers

HEADERS = ["Email", "Phone", "First Name"]
EDITED = 12  # customers edited between the read and the write


def _edit(stack: LocalStack, tenant: str, email: str, city: str) -> None:
    """What a customer screen does: change a field and move the version, only if the customer is still there."""
    stack.client("dynamodb").update_item(
        TableName=stack.physical("CustomersTable")["Name"],
        Key={"pk": {"S": key_address(tenant, "email", email)}},
        UpdateExpression="SET city = :city, version = version + :one ADD edits :one",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":city": {"S": city}, ":one": {"N": "1"}},
    )


def _create(stack: LocalStack, tenant: str, email: str, first_name: str) -> None:
    """Another service adding a customer whose email is in the file, after the validator looked it up."""
    customer = Customer(
        customer_id=f"EXTERNAL-{email}",
        tenant_id=tenant,
        version=1,
        created_at="2026-12-01T00:00:00+00:00",
        updated_at="2026-12-01T00:00:00+00:00",
        fields={"email": email, "first_name": first_name, "city": "Huế"},
    )
    stack.client("dynamodb").put_item(
        TableName=stack.physical("CustomersTable")["Name"],
        Item=to_attributes(customer_item(customer, key_address(tenant, "email", email))),
        ConditionExpression="attribute_not_exists(pk)",
    )


def test_edits_landing_between_the_read_and_the_write_are_kept_and_the_rows_decided_again(
    stack: LocalStack, tenant: str, importer: Any, xlsx: Any
) -> None:
    existing = [[f"c{i}@shop.vn", f"0912{i:06d}", f"Name {i}"] for i in range(CHUNK_ROWS - 10)]
    importer(xlsx(HEADERS, existing))
    before = stored_customers(stack, tenant)

    once = threading.Lock()
    done: list[bool] = []

    def another_writer() -> None:
        with once:  # the chunk's write requests run at once: every one of them waits for the other writer
            if not done:
                for i in range(EDITED):
                    _edit(stack, tenant, f"c{i}@shop.vn", "Đà Nẵng")
                _create(stack, tenant, "late@shop.vn", "Late")
                done.append(True)

    # One chunk of 42 statements, two requests: the other writer's changes land before either reaches DynamoDB.
    interleaved = stack.faults.add(
        Fault("dynamodb", "BatchExecuteStatement", "interleave", times=2, action=another_writer)
    )
    try:
        renamed = [[f"c{i}@shop.vn", "", f"Renamed {i}"] for i in range(CHUNK_ROWS - 10)]
        run = importer(xlsx(HEADERS, [*renamed, ["late@shop.vn", "0933000111", "Late Comer"]]))
    finally:
        stack.faults.clear()

    assert interleaved.fired == 2 and done
    # Every edited customer has both the edit and the import's change, one version past the edit each.
    customers = stored_customers(stack, tenant)
    for i in range(CHUNK_ROWS - 10):
        customer, was = customers[f"c{i}@shop.vn"], before[f"c{i}@shop.vn"]
        assert customer["first_name"] == f"Renamed {i}"
        edited = i < EDITED
        assert customer.get("city") == ("Đà Nẵng" if edited else None)
        assert customer["version"] == was["version"] + (2 if edited else 1)
    # The customer created in between is matched and updated, never created twice.
    late = customers["late@shop.vn"]
    assert (late["customer_id"], late["first_name"], late["city"]) == ("EXTERNAL-late@shop.vn", "Late Comer", "Huế")
    assert late["phone"] == "+84933000111"
    counts = {name: run.status[name] for name in ("created", "updated", "unchanged", "invalid")}
    assert counts == {"created": 0, "updated": CHUNK_ROWS - 10 + 1, "unchanged": 0, "invalid": 0}
    assert len(customers) == CHUNK_ROWS - 10 + 1


def test_a_writer_editing_all_along_loses_no_edit(stack: LocalStack, tenant: str, importer: Any, xlsx: Any) -> None:
    count = 2 * CHUNK_ROWS
    importer(xlsx(HEADERS, [[f"c{i}@shop.vn", "", f"Name {i}"] for i in range(count)]))
    versions = {email: customer["version"] for email, customer in stored_customers(stack, tenant).items()}
    edits: Counter[str] = Counter()
    stop = threading.Event()

    def keep_editing() -> None:
        i = 0
        while not stop.is_set():
            email = f"c{i % count}@shop.vn"
            _edit(stack, tenant, email, f"City {i}")
            edits[email] += 1
            i += 7

    editor = threading.Thread(target=keep_editing)
    editor.start()
    try:
        run = importer(xlsx(HEADERS, [[f"c{i}@shop.vn", "", f"Renamed {i}"] for i in range(count)]))
    finally:
        stop.set()
        editor.join()

    customers = stored_customers(stack, tenant)
    assert sum(edits.values()) > 0
    assert {email: c.get("edits", 0) for email, c in customers.items() if c.get("edits")} == dict(edits)
    assert all(customers[f"c{i}@shop.vn"]["first_name"] == f"Renamed {i}" for i in range(count))
    # Each edit and the import's update moved the version once: none was written over a version it did not see.
    assert {email: c["version"] - versions[email] for email, c in customers.items()} == {
        email: edits[email] + 1 for email in customers
    }
    assert (run.status["updated"], run.status["created"], run.status["unchanged"]) == (count, 0, 0)


def test_a_rollback_leaves_alone_a_customer_edited_between_its_read_and_its_write(
    stack: LocalStack, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Path
) -> None:
    importer(xlsx(HEADERS, [[f"c{i}@shop.vn", "", f"Name {i}"] for i in range(6)]))
    second = importer(xlsx(HEADERS, [[f"c{i}@shop.vn", "", f"Renamed {i}"] for i in range(6)]))
    edited = stack.faults.add(
        Fault(
            "dynamodb",
            "BatchExecuteStatement",
            "interleave",
            times=1,
            action=lambda: _edit(stack, tenant, "c0@shop.vn", "Cần Thơ"),
        )
    )
    try:
        api.rollback(second.job_id)
        run = settle(stack, api, second.job_id, tmp_path)
    finally:
        stack.faults.clear()

    assert edited.fired == 1
    rollback = run.status["rollback"]
    assert (rollback["restored"], rollback["left_alone"]) == (5, 1)
    customers = stored_customers(stack, tenant)
    assert (customers["c0@shop.vn"]["first_name"], customers["c0@shop.vn"]["city"]) == ("Renamed 0", "Cần Thơ")
    assert [customers[f"c{i}@shop.vn"]["first_name"] for i in range(1, 6)] == [f"Name {i}" for i in range(1, 6)]


def test_a_customer_two_groups_wrote_out_of_file_order_is_undone_in_the_order_written(
    stack: LocalStack, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    importer(xlsx(["Email", "Phone", "First Name", "Last Name"], [["x@shop.vn", "0912000001", "Xuân", ""]]))
    before = stored_customers(stack, tenant)["x@shop.vn"]
    # Chunk 0 reaches Xuân by her email, chunk 1 by her phone alone: different keys, so different message groups.
    rows = [["x@shop.vn", "", "By email", ""]] + [[f"a{i}@shop.vn", "", "A", ""] for i in range(CHUNK_ROWS - 1)]
    rows += [["", "0912000001", "", "By phone"]] + [[f"b{i}@shop.vn", "", "B", ""] for i in range(CHUNK_ROWS - 1)]
    real_decide = chunks.decide
    held_back: list[int] = []

    def chunk_0_fails_once(stores: Any, job: Any, message: Any, now: Any, only: Any = None) -> Any:
        if job.tenant_id == tenant and message.chunk == 0 and message.phase.value == "apply" and not held_back:
            held_back.append(0)  # so chunk 1 (another group) is written first, chunk 0 after it
            raise RuntimeError("a transient failure: the chunk is delivered again")
        return real_decide(stores, job, message, now, only)

    monkeypatch.setattr(chunks, "decide", chunk_0_fails_once)
    (validators,) = [p for p in stack.pollers if p.source.function == "RowValidatorFunction"]
    monkeypatch.setattr(validators, "retry_delay_s", 1.0)  # chunk 0 comes back after chunk 1 was written
    second = importer(xlsx(["Email", "Phone", "First Name", "Last Name"], rows))
    assert held_back and second.status["updated"] == 2
    xuan = stored_customers(stack, tenant)["x@shop.vn"]
    assert (xuan["first_name"], xuan["last_name"], xuan["version"]) == ("By email", "By phone", before["version"] + 2)

    api.rollback(second.job_id)
    run = settle(stack, api, second.job_id, tmp_path)

    rollback = run.status["rollback"]
    assert (rollback["left_alone"], rollback["not_processed"]) == (0, 0)
    xuan = stored_customers(stack, tenant)["x@shop.vn"]
    assert (xuan["first_name"], xuan.get("last_name")) == ("Xuân", None)
    assert set(stored_customers(stack, tenant)) == {"x@shop.vn"}
