"""The history a web client lists (GET /imports, GET /exports) on the local stack: newest first, a page at a time
with a cursor, filtered by status and type, only the caller's tenant, and what each entry says."""

from pathlib import Path
from typing import Any

import pytest

from customer_bulk.dal import jobs as job_store
from customer_bulk_local.client import ApiClient, ApiError
from customer_bulk_local.emulator import LocalStack
from tests.conftest import ADMIN


def _started(api: ApiClient, count: int, options: dict[str, Any] | None = None) -> list[str]:
    """``count`` imports waiting for their file (nothing uploaded), oldest first."""
    return [api.create_import(f"file-{n}.csv", options)["job_id"] for n in range(count)]


def _every_page(read: Any, **query: Any) -> tuple[list[str], list[int]]:
    """Every id the pages list, following next_cursor, and each page's length."""
    ids: list[str] = []
    sizes: list[int] = []
    cursor = None
    for _page in range(50):
        page = read(cursor=cursor, **query)
        ids += [item.get("job_id") or item["export_id"] for item in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, sizes
    raise AssertionError("the cursor never ended")


def test_imports_are_listed_newest_first_a_page_at_a_time_each_exactly_once(api: ApiClient) -> None:
    ids = _started(api, 7)
    first = api.history_imports(limit=3)
    assert [item["job_id"] for item in first["items"]] == ids[::-1][:3]
    assert first["next_cursor"] is not None
    listed, sizes = _every_page(api.history_imports, limit=3)
    assert listed == ids[::-1] and sizes == [3, 3, 1]  # the last page says there is none after it
    exact, sizes = _every_page(api.history_imports, limit=7)
    assert exact == ids[::-1] and sizes == [7]  # a page that ends the history exactly has no next cursor
    assert [item["job_id"] for item in api.history_imports()["items"]] == ids[::-1]  # 20 by default


def test_a_filter_that_skips_jobs_still_lists_each_matching_job_exactly_once(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _started(api, 9)
    cancelled = ids[1::2]  # every other one
    for job_id in cancelled:
        api.cancel(job_id)
    balances = _started(api, 2, {"type": "opening_balance"})

    listed, _ = _every_page(api.history_imports, limit=2, status=["cancelled"])
    assert listed == cancelled[::-1]
    assert {item["status"] for item in api.history_imports(status=["cancelled"])["items"]} == {"cancelled"}
    listed, _ = _every_page(api.history_imports, limit=2, status=["cancelled", "awaiting_upload"])
    assert listed == (ids + balances)[::-1]
    listed, _ = _every_page(api.history_imports, limit=1, types=["opening_balance"])
    assert listed == balances[::-1]
    both = api.history_imports(status=["awaiting_upload"], types=["customers"])["items"]
    assert [item["job_id"] for item in both] == [job_id for job_id in ids[::-1] if job_id not in cancelled]

    # Reads bounded to one of three jobs: pages come back short (even empty) but resume exactly where they stopped.
    monkeypatch.setattr(job_store._History, "READS", 1)
    monkeypatch.setattr(job_store._History, "BATCH", 3)
    listed, sizes = _every_page(api.history_imports, limit=2, status=["cancelled"])
    assert listed == cancelled[::-1]
    assert any(size < 2 for size in sizes[:-1])  # a short page that still had a next cursor


def test_only_the_callers_tenant_is_listed_and_a_cursor_cannot_reach_another(
    stack: LocalStack, api: ApiClient, tenant: str
) -> None:
    ours = _started(api, 3)
    other = ApiClient(stack.api_url, tenant + "-b", ADMIN, language="en")
    theirs = _started(other, 3)
    api.create_export({})
    other.create_export({})

    assert [item["job_id"] for item in api.history_imports()["items"]] == ours[::-1]
    assert [item["job_id"] for item in other.history_imports()["items"]] == theirs[::-1]
    assert len(api.history_exports()["items"]) == 1 and len(other.history_exports()["items"]) == 1
    # Their newest job as our cursor is only a point in time: what comes after it is still ours alone.
    assert [item["job_id"] for item in api.history_imports(cursor=theirs[-1])["items"]] == ours[::-1]
    for cursor in (f"TENANT#{tenant}-b", "JOB#" + theirs[0], theirs[0].lower(), "x" * 26):
        with pytest.raises(ApiError) as refused:
            api.history_imports(cursor=cursor)
        assert refused.value.status == 422 and "cursor" in refused.value.message


def test_bad_history_queries_are_refused_with_the_field(api: ApiClient) -> None:
    for query, field in (
        ({"limit": 101}, "limit"),
        ({"limit": -1}, "limit"),
        ({"status": ["done"]}, "status"),
        ({"types": ["orders"]}, "type"),
    ):
        with pytest.raises(ApiError) as refused:
            api.history_imports(**query)
        assert refused.value.status == 422 and field in refused.value.message, query
    with pytest.raises(ApiError) as refused:
        api.history_exports(status=["awaiting_upload"])  # an import's status, not an export's
    assert refused.value.status == 422
    assert len(api.history_imports(limit=100)["items"]) == 0


def test_each_import_entry_says_who_when_which_file_and_what_came_of_it(
    api: ApiClient, importer: Any, csv_file: Any
) -> None:
    applied = importer(csv_file(["Email", "First Name"], [["a@shop.vn", "An"], ["b@shop.vn", "Bình"], ["bad", "X"]]))
    previewed = importer(csv_file(["Email", "City"], [["a@shop.vn", "Huế"]], name="changes.csv"), {"preview": True})
    newest, older = api.history_imports()["items"]

    assert older["job_id"] == applied.job_id and newest["job_id"] == previewed.job_id
    assert older["requested_by"] == ADMIN and older["language"] == "en" and older["type"] == "customers"
    assert older["status"] == "completed" and older["percent"] == 100
    assert older["file_name"].endswith(".csv") and older["created_at"] <= older["finished_at"]
    counts = {name: older[name] for name in ("rows_total", "created", "updated", "invalid", "not_processed")}
    assert counts == {"rows_total": 3, "created": 2, "updated": 0, "invalid": 1, "not_processed": 0}
    assert older["preview"] is None and older["rollback"] is None

    assert newest["status"] == "previewed" and newest["file_name"] == "changes.csv"
    assert newest["preview"]["changed"] == 1 and newest["preview"]["new"] == 0
    assert newest["preview"]["expires_at"] == previewed.status["preview"]["expires_at"]
    assert newest["updated"] == 0  # nothing applied yet


def test_each_export_entry_says_its_rows_delivery_format_scope_and_files(
    api: ApiClient, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    importer(csv_file(["Email"], [["a@shop.vn"], ["b@shop.vn"]]))
    everything = api.create_export({"format": "csv"})
    selected = api.create_export({"scope": {"kind": "selected", "ids": ["1"]}})
    page = api.history_exports()

    assert [item["export_id"] for item in page["items"]] == [selected["export_id"], everything["export_id"]]
    assert page["next_cursor"] is None
    latest, first = page["items"]
    assert first["rows"] == 2 and first["format"] == "csv" and first["scope"] == "all"
    assert first["delivery"] == "immediate" and first["status"] == "completed" and first["file_count"] == 1
    assert first["file_name"] == everything["files"][0]["file_name"] and first["requested_by"] == ADMIN
    assert first["language"] == "en" and first["finished_at"] is not None
    assert latest["rows"] == 0 and latest["format"] == "xlsx" and latest["scope"] == "selected"
    listed, _ = _every_page(api.history_exports, limit=1, status=["completed"])
    assert listed == [selected["export_id"], everything["export_id"]]
    assert api.history_exports(status=["failed"]) == {"items": [], "next_cursor": None}
