"""Undo: an applied import is rolled back from the before-images its chunks recorded; customers changed since by
something else are left alone and listed; rolling back twice changes nothing."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import customer_bulk.logic.chunks as chunks
import functions.api.app as api_function
from customer_bulk.clock import utc_now
from customer_bulk.dal.customers import CustomerStore
from customer_bulk.storage_layout import KeyWrite
from customer_bulk_local.client import ApiClient, ApiError
from tests.conftest import CHUNK_ROWS, settle, stored_customers, stored_items, workbook_rows

HEADERS = ["Email", "Phone", "First Name", "Note"]
BOOKKEEPING = {"version", "updated_at"}


def without(item: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in names}


@pytest.fixture
def first_import(importer: Any, xlsx: Any) -> Any:
    """An and Bình exist; An has a phone (so a pointer item too)."""
    run = importer(xlsx(HEADERS, [["an@shop.vn", "0912345678", "An", "first"], ["binh@shop.vn", "", "Bình", ""]]))
    assert run.status["created"] == 2
    return run


@pytest.fixture
def items_before_second(stack: Any, tenant: str, first_import: Any) -> dict[str, dict[str, Any]]:
    """The tenant's items (customers and key pointers) as the first import left them."""
    return {item["pk"]: item for item in stored_items(stack, tenant)}


@pytest.fixture
def second_import(items_before_second: Any, importer: Any, xlsx: Any) -> Any:
    """Renames An, gives Bình a phone, leaves nobody else alone, and creates Chi and Dung."""
    rows = [
        ["an@shop.vn", "0912345678", "An Nhiên", "second"],
        ["binh@shop.vn", "0903000111", "Bình", ""],
        ["chi@shop.vn", "0987654321", "Chi", ""],
        ["dung@shop.vn", "", "Dung", ""],
    ]
    run = importer(xlsx(HEADERS, rows, name="second.xlsx"))
    assert (run.status["updated"], run.status["created"]) == (2, 2)
    return run


def test_rollback_restores_changed_customers_and_removes_created_ones(
    stack: Any, tenant: str, api: ApiClient, items_before_second: Any, second_import: Any, tmp_path: Path
) -> None:
    before, second = items_before_second, second_import

    started = api.rollback(second.job_id)
    assert started["status"] == "rolling_back"
    run = settle(stack, api, second.job_id, tmp_path)

    # Then the tenant's items are exactly what they were before the import (bookkeeping aside)
    assert run.status["status"] == "rolled_back"
    rollback = run.status["rollback"]
    assert {k: rollback[k] for k in ("restored", "removed", "left_alone", "not_processed")} == {
        "restored": 2,
        "removed": 2,
        "left_alone": 0,
        "not_processed": 0,
    }
    after = {item["pk"]: item for item in stored_items(stack, tenant)}
    assert after.keys() == before.keys()  # Chi, Dung and Bình's new phone pointer are gone
    assert {pk: without(item, BOOKKEEPING) for pk, item in after.items()} == {
        pk: without(item, BOOKKEEPING) for pk, item in before.items()
    }
    an = stored_customers(stack, tenant)["an@shop.vn"]
    assert (an["first_name"], an["note"], an["version"]) == ("An", "first", 3)  # a new version: exports see it
    assert run.status["created"] == 2 and rollback["report_url"] is None  # the import's own counts stay

    (email,) = [email for email in run.emails if email.subject.startswith("Import rolled back")]
    assert email.subject == "Import rolled back: second.xlsx - 2 restored, 2 removed, 0 left alone"
    assert "Every customer the import created or changed is as it was before the import." in email.text


def test_customers_changed_since_the_import_are_left_alone_and_listed(
    stack: Any, tenant: str, api: ApiClient, second_import: Any, importer: Any, xlsx: Any, tmp_path: Path
) -> None:
    # Given a later import that edits An's note and Chi's name
    later = importer(xlsx(HEADERS, [["an@shop.vn", "", "", "third"], ["chi@shop.vn", "", "Chi Mai", ""]]))
    assert later.status["updated"] == 2

    api.rollback(second_import.job_id)
    run = settle(stack, api, second_import.job_id, tmp_path)

    rollback = run.status["rollback"]
    assert {k: rollback[k] for k in ("restored", "removed", "left_alone")} == {
        "restored": 1,  # Bình
        "removed": 1,  # Dung
        "left_alone": 2,  # An and Chi, as the later import left them
    }
    customers = stored_customers(stack, tenant)
    assert (customers["an@shop.vn"]["first_name"], customers["an@shop.vn"]["note"]) == ("An Nhiên", "third")
    assert customers["chi@shop.vn"]["first_name"] == "Chi Mai"
    assert "phone" not in customers["binh@shop.vn"] and "dung@shop.vn" not in customers

    report = ApiClient.download(rollback["report_url"], tmp_path / "rollback.xlsx")
    rows = workbook_rows(report, "Left alone")
    assert rows[0] == ["Row", "Customer ID", "Email", "Phone", "Why"]
    assert [(row[0], row[2], row[3], row[4]) for row in rows[1:]] == [
        (2, "an@shop.vn", "+84912345678", "changed after the import (Note); left as it is now"),
        (4, "chi@shop.vn", "+84987654321", "changed after the import (First Name); left as it is now"),
    ]
    email = run.emails[-1]
    assert email.subject == "Import rolled back: second.xlsx - 1 restored, 1 removed, 2 left alone"
    assert "second-rollback.xlsx" in email.text


def test_rolling_back_twice_is_a_no_op(
    stack: Any, tenant: str, api: ApiClient, second_import: Any, tmp_path: Path
) -> None:
    api.rollback(second_import.job_id)
    first = settle(stack, api, second_import.job_id, tmp_path)
    items = stored_items(stack, tenant)

    again = api.rollback(second_import.job_id)

    assert again["status"] == "rolled_back" and again["rollback"] == first.status["rollback"]
    assert stored_items(stack, tenant) == items
    assert len(stack.sent_emails(second_import.job_id)) == len(first.emails)


def test_imports_rolled_back_newest_first_give_back_the_original_customers(
    stack: Any, tenant: str, api: ApiClient, first_import: Any, importer: Any, xlsx: Any, tmp_path: Path
) -> None:
    original = {item["pk"]: without(item, BOOKKEEPING) for item in stored_items(stack, tenant)}
    second = importer(xlsx(HEADERS, [["an@shop.vn", "", "An Nhiên", "second"], ["binh@shop.vn", "0903000111", "", ""]]))
    third = importer(xlsx(HEADERS, [["an@shop.vn", "", "", "third"], ["em@shop.vn", "0911222333", "Em", ""]]))

    for job_id in (third.job_id, second.job_id):
        api.rollback(job_id)
        assert settle(stack, api, job_id, tmp_path).status["rollback"]["left_alone"] == 0

    assert {item["pk"]: without(item, BOOKKEEPING) for item in stored_items(stack, tenant)} == original


def test_a_crash_half_way_through_a_rollback_loses_nothing_and_doubles_nothing(
    stack: Any, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[f"c{i}@shop.vn", f"0912{i:06d}", f"Name {i}", ""] for i in range(CHUNK_ROWS + 10)]
    importer(xlsx(HEADERS, rows))
    before = stored_items(stack, tenant)
    changed = [[f"c{i}@shop.vn", "", f"Renamed {i}", "x"] for i in range(CHUNK_ROWS + 10)]
    changed += [[f"new{i}@shop.vn", f"0913{i:06d}", "New", ""] for i in range(20)]
    second = importer(xlsx(HEADERS, changed))

    real_write = CustomerStore.write_if_unchanged
    crashed: list[int] = []

    def write_half_then_crash(self: CustomerStore, writes: list[KeyWrite]) -> set[str]:
        if any(write.address.startswith(tenant) for write in writes) and len(crashed) < 2:
            crashed.append(len(writes))
            real_write(self, writes[: len(writes) // 2])
            raise RuntimeError("the function was killed half-way through its writes")
        return real_write(self, writes)

    monkeypatch.setattr(CustomerStore, "write_if_unchanged", write_half_then_crash)
    api.rollback(second.job_id)
    run = settle(stack, api, second.job_id, tmp_path)

    assert len(crashed) == 2  # both rollback chunks crashed once, then were replayed
    rollback = run.status["rollback"]
    assert (rollback["restored"], rollback["removed"], rollback["left_alone"]) == (CHUNK_ROWS + 10, 20, 0)
    after = stored_items(stack, tenant)
    assert sorted((without(i, BOOKKEEPING) for i in after), key=lambda i: i["pk"]) == sorted(
        (without(i, BOOKKEEPING) for i in before), key=lambda i: i["pk"]
    )


def test_before_images_are_kept_for_the_tenants_undo_window_and_no_longer(
    stack: Any, tenant: str, api: ApiClient, importer: Any, csv_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.update_settings({"undo_retention_days": 7})
    run = importer(csv_file(["Email"], [["a@shop.vn"]]))

    # The applied decision (the before-images) is tagged with the tenant's retention, which a lifecycle rule honours
    s3 = stack.client("s3")
    bucket = stack.physical("FilesBucket")["Name"]
    (record,) = s3.list_objects_v2(Bucket=bucket, Prefix=f"undo/{tenant}/{run.job_id}/")["Contents"]
    tags = s3.get_object_tagging(Bucket=bucket, Key=record["Key"])["TagSet"]
    assert tags == [{"Key": "retention-days", "Value": "7"}]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    (rule,) = [r for r in rules if r["Filter"].get("And", {}).get("Tags") == [{"Key": "retention-days", "Value": "7"}]]
    assert (rule["Filter"]["And"]["Prefix"], rule["Expiration"]["Days"]) == ("undo/", 7)

    undo_until = run.status["undo_until"]
    assert undo_until.startswith((utc_now() + timedelta(days=7)).date().isoformat())
    monkeypatch.setattr(api_function, "utc_now", lambda: utc_now() + timedelta(days=8))
    with pytest.raises(ApiError) as refused:
        api.rollback(run.job_id)
    assert refused.value.status == 409
    assert "its previous values were kept for 7 days" in refused.value.message

    with pytest.raises(ApiError) as invalid:
        api.update_settings({"undo_retention_days": 10})
    assert invalid.value.status == 422 and "must be one of 7, 14, 30, 60, 90, 180, 365 days" in invalid.value.message


def test_a_rollback_chunk_that_keeps_failing_is_reported_and_the_rollback_still_finishes(
    stack: Any, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [[f"r{i}@shop.vn", "", f"R {i}", ""] for i in range(CHUNK_ROWS + 5)]
    applied = importer(xlsx(HEADERS, rows))
    real = chunks.rollback_chunk

    def poisoned(stores: Any, job: Any, chunk: int, now: Any) -> Any:
        if job.tenant_id == tenant and chunk == 0:
            raise ValueError("this part of the rollback cannot be processed")
        return real(stores, job, chunk, now)

    monkeypatch.setattr(chunks, "rollback_chunk", poisoned)
    api.rollback(applied.job_id)
    run = settle(stack, api, applied.job_id, tmp_path)

    rollback = run.status["rollback"]
    assert run.status["status"] == "rolled_back"
    assert (rollback["removed"], rollback["not_processed"]) == (5, CHUNK_ROWS)  # chunk 1 undone, chunk 0 not
    assert len(stored_customers(stack, tenant)) == CHUNK_ROWS
    report = workbook_rows(ApiClient.download(rollback["report_url"], tmp_path / "rollback.xlsx"), "Left alone")
    assert len(report) == CHUNK_ROWS + 1
    assert report[1][0] == 2 and report[1][2] == "r0@shop.vn"
    assert report[1][4].startswith("Not rolled back: this part of the rollback failed repeatedly")
    assert "Not processed:" in run.emails[-1].text
    stack.wait_until_idle()

    # When the admin rolls back again once the fault is gone, the rest is undone and the counts are whole
    monkeypatch.setattr(chunks, "rollback_chunk", real)
    assert api.rollback(applied.job_id)["status"] == "rolling_back"
    again = settle(stack, api, applied.job_id, tmp_path)
    rollback = again.status["rollback"]
    assert (rollback["removed"], rollback["not_processed"], rollback["report_url"]) == (CHUNK_ROWS + 5, 0, None)
    assert stored_customers(stack, tenant) == {}
    assert again.emails[-1].subject.endswith(f"0 restored, {CHUNK_ROWS + 5} removed, 0 left alone")


def test_a_late_failure_of_the_import_phase_does_not_touch_a_rollback(
    stack: Any, tenant: str, api: ApiClient, second_import: Any, tmp_path: Path
) -> None:
    api.rollback(second_import.job_id)
    rolled_back = settle(stack, api, second_import.job_id, tmp_path)

    # The import's state machine catching a failure late (its notice kept failing) reports it for its own phase only
    failure = {"Error": "Lambda.Unknown", "Cause": "the notice could not be sent"}
    event = {"tenant_id": tenant, "job_id": second_import.job_id, "phase": "apply", "failure": failure}
    stack.runtime.invoke("ImportReportFunction", event)

    status = api.status(second_import.job_id)
    assert (status["status"], status["error"]) == ("rolled_back", None)
    assert status["rollback"] == rolled_back.status["rollback"]
