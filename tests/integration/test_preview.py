"""Preview before applying (Tix, Loyverse): the whole pipeline runs and writes nothing; the admin gets the counts
and a diff workbook, then confirms (exactly that file is applied) or cancels; an unconfirmed preview expires."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import customer_bulk.logic.chunks as chunks
import functions.api.app as api_function
import functions.job_sweeper.app as sweeper
from customer_bulk.clock import utc_now
from customer_bulk_local.client import ApiClient, ApiError
from tests.conftest import CHUNK_ROWS, settle, stored_customers, stored_items, workbook_rows

HEADERS = ["Email", "Phone", "First Name", "City"]
GREEN, YELLOW, RED = "FFC6EFCE", "FFFFEB9C", "FFFFC7CE"


@pytest.fixture
def existing(importer: Any, xlsx: Any) -> None:
    """Two customers the tenant already has."""
    run = importer(xlsx(HEADERS, [["an@shop.vn", "0912345678", "An", "Huế"], ["binh@shop.vn", "", "Bình", ""]]))
    assert run.status["created"] == 2


@pytest.fixture
def changes(xlsx: Any) -> Path:
    return xlsx(
        HEADERS,
        [
            ["an@shop.vn", "0912345678", "An", "Huế"],  # 2: unchanged
            ["binh@shop.vn", "", "Bình Minh", "Đà Nẵng"],  # 3: changed: first name, city
            ["chi@shop.vn", "0987654321", "Chi", "Hà Nội"],  # 4: new
            ["not an email", "", "Dung", ""],  # 5: invalid
            ["em@shop.vn", "12345", "Em", ""],  # 6: new, the phone skipped with a warning
        ],
        name="changes.xlsx",
    )


def fill(cell: Any) -> str | None:
    color = cell.fill.fgColor.rgb if cell.fill and cell.fill.fill_type else None
    return str(color) if color else None


@pytest.mark.usefixtures("existing")
def test_a_preview_writes_nothing_and_shows_every_row_in_a_diff_workbook(
    stack: Any, tenant: str, importer: Any, changes: Path, tmp_path: Path
) -> None:
    before = stored_items(stack, tenant)

    run = importer(changes, {"preview": True})

    # Then nothing is written, and the job waits for the admin with what the preview found
    status = run.status
    assert status["status"] == "previewed"
    assert stored_items(stack, tenant) == before
    preview = status["preview"]
    assert {k: preview[k] for k in ("new", "changed", "unchanged", "skipped", "invalid", "warnings")} == {
        "new": 2,
        "changed": 1,
        "unchanged": 1,
        "skipped": 0,
        "invalid": 1,
        "warnings": 1,
    }
    assert (status["created"], status["updated"]) == (0, 0)  # applied: nothing yet
    assert status["percent"] == 100
    expires = preview["expires_at"]
    assert expires and preview["confirmed_at"] is None
    assert status["error_report_url"] is None

    # And the diff workbook shows every row: new green, changed cells yellow with the stored value, invalid red
    diff = ApiClient.download(preview["diff_report_url"], tmp_path / "diff.xlsx")
    sheet = openpyxl.load_workbook(diff)["Changes"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Row", "Status", *HEADERS, "Details"]
    assert [row[:2] for row in rows[1:]] == [[2, "Unchanged"], [3, "Changed"], [4, "New"], [5, "Invalid"], [6, "New"]]
    assert rows[2][2:6] == ["binh@shop.vn", None, "Bình Minh", "Đà Nẵng"]
    assert rows[2][6] == "First Name: Bình → Bình Minh; City: (empty) → Đà Nẵng"
    changed_name, changed_city, same_email = sheet["E3"], sheet["F3"], sheet["C3"]
    assert (fill(changed_name), fill(changed_city), fill(same_email)) == (YELLOW, YELLOW, None)
    assert changed_name.comment.text == "First Name was: Bình"
    assert changed_city.comment.text == "City was: (empty)"
    assert {fill(cell) for cell in sheet[4]} == {GREEN}  # the whole new row, blanks included
    assert {fill(cell) for cell in sheet[5]} == {RED}
    assert rows[4][6].startswith('Email: "not an email" is not a valid email address')
    assert {fill(cell) for cell in sheet[2]} == {None}  # unchanged: no colour
    assert rows[5][6] == (
        'Phone: "12345" is not a valid phone number (checked as a VN number); this field was not imported'
    )
    summary = dict(workbook_rows(diff, "Summary")[1:8])
    assert (summary["New customers"], summary["Changed customers"], summary["Invalid"]) == (2, 1, 1)

    # And exactly one email: the counts, the link, and that nothing changed yet
    (email,) = run.emails
    assert email.subject == "Preview ready: changes.xlsx - 2 new, 1 changed, 1 unchanged, 1 invalid"
    assert "Nothing has been changed yet. Confirm the import before" in email.text
    assert preview["diff_report_url"].split("?")[0] in email.text
    assert "changes-preview.xlsx" in email.html


@pytest.mark.usefixtures("existing")
def test_confirm_applies_exactly_the_previewed_file(
    stack: Any, tenant: str, api: ApiClient, importer: Any, changes: Path, tmp_path: Path
) -> None:
    previewed = importer(changes, {"preview": True, "tags": "replace"})

    confirmed = api.confirm(previewed.job_id)
    assert confirmed["status"] == "processing" and confirmed["preview"]["confirmed_at"]
    run = settle(stack, api, previewed.job_id, tmp_path)

    status = run.status
    assert status["status"] == "completed"
    assert {k: status[k] for k in ("created", "updated", "unchanged", "invalid", "stale", "warnings")} == {
        "created": 2,
        "updated": 1,
        "unchanged": 1,
        "invalid": 1,
        "stale": 0,
        "warnings": 1,
    }
    customers = stored_customers(stack, tenant)
    assert set(customers) == {"an@shop.vn", "binh@shop.vn", "chi@shop.vn", "em@shop.vn"}
    assert (customers["binh@shop.vn"]["first_name"], customers["binh@shop.vn"]["city"]) == ("Bình Minh", "Đà Nẵng")
    assert [email.subject for email in run.emails] == [
        "Preview ready: changes.xlsx - 2 new, 1 changed, 1 unchanged, 1 invalid",
        "Import finished: changes.xlsx - 2 created, 1 updated, 1 unchanged, 1 invalid",
    ]
    assert run.report_rows()[1][0] == "not an email"  # the usual fixable error workbook
    assert status["preview"]["new"] == 2  # what was previewed stays visible

    # A second confirm (a retried request) changes nothing
    again = api.confirm(previewed.job_id)
    assert again["status"] == "completed" and again["created"] == 2
    assert len(stack.sent_emails(previewed.job_id)) == 2


@pytest.mark.usefixtures("existing")
def test_customers_changed_between_preview_and_confirm_are_reported_not_overwritten(
    stack: Any, tenant: str, api: ApiClient, importer: Any, xlsx: Any, changes: Path, tmp_path: Path
) -> None:
    previewed = importer(changes, {"preview": True})

    # Meanwhile another import edits Bình and adds the customer the preview saw as new on row 4
    meanwhile = importer(xlsx(HEADERS, [["binh@shop.vn", "", "Bình", "Cần Thơ"], ["chi@shop.vn", "", "Chi Lan", ""]]))
    assert (meanwhile.status["updated"], meanwhile.status["created"]) == (1, 1)

    api.confirm(previewed.job_id)
    run = settle(stack, api, previewed.job_id, tmp_path)

    status = run.status
    assert {k: status[k] for k in ("created", "updated", "unchanged", "stale", "invalid")} == {
        "created": 1,  # em@ only
        "updated": 0,
        "unchanged": 1,
        "stale": 2,  # Bình and Chi: changed by the other import after the preview
        "invalid": 1,
    }
    customers = stored_customers(stack, tenant)
    assert customers["binh@shop.vn"]["city"] == "Cần Thơ"  # the other import's edit stands
    assert customers["chi@shop.vn"]["first_name"] == "Chi Lan"
    errors = {row[0]: row[-1] for row in run.report_rows()[1:]}
    assert errors["binh@shop.vn"] == (
        "Row 3: this customer changed after the preview (version 1 then, 2 now); not applied. "
        "Preview the file again to see the current changes"
    )
    assert errors["chi@shop.vn"].startswith("Row 4: a customer with this email or phone was added after the preview")
    assert "Changed since the preview (not applied):" in run.emails[-1].text


@pytest.mark.usefixtures("existing")
def test_cancel_discards_the_preview(stack: Any, tenant: str, api: ApiClient, importer: Any, changes: Path) -> None:
    before = stored_items(stack, tenant)
    previewed = importer(changes, {"preview": True})

    cancelled = api.cancel(previewed.job_id)

    assert cancelled["status"] == "cancelled"
    assert api.cancel(previewed.job_id)["status"] == "cancelled"  # again: nothing more to do
    with pytest.raises(ApiError) as refused:
        api.confirm(previewed.job_id)
    assert refused.value.status == 409 and "cancelled" in refused.value.message
    assert stored_items(stack, tenant) == before
    s3 = stack.client("s3")
    bucket = stack.physical("FilesBucket")["Name"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"jobs/{tenant}/{previewed.job_id}/")
    left = [item["Key"] for item in listed.get("Contents", [])]
    assert left == [f"jobs/{tenant}/{previewed.job_id}/reports/changes-preview.xlsx"]  # chunks and decisions gone
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"uploads/{tenant}/{previewed.job_id}/")["KeyCount"] == 0
    assert len(stack.sent_emails(previewed.job_id)) == 1  # the preview's; cancelling sends nothing


@pytest.mark.usefixtures("existing")
def test_a_preview_expires_and_can_no_longer_be_confirmed(
    stack: Any, tenant: str, api: ApiClient, importer: Any, changes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored_items(stack, tenant)
    first = importer(changes, {"preview": True})
    second = importer(changes, {"preview": True})

    # A day and an hour later, the admin confirms the first one
    later = utc_now() + timedelta(hours=25)
    monkeypatch.setattr(api_function, "utc_now", lambda: later)
    with pytest.raises(ApiError) as refused:
        api.confirm(first.job_id)
    assert refused.value.status == 409
    assert refused.value.message.startswith("The preview expired at ")
    assert api.status(first.job_id)["status"] == "expired"

    # And the sweeper expires the other one on its own
    monkeypatch.setattr(sweeper, "utc_now", lambda: later)
    stack.run_scheduled("JobSweeperFunction")
    assert api.status(second.job_id)["status"] == "expired"
    assert stored_items(stack, tenant) == before


def test_a_preview_cannot_be_rolled_back_and_an_import_cannot_be_cancelled(
    importer: Any, api: ApiClient, csv_file: Any
) -> None:
    previewed = importer(csv_file(["Email"], [["a@shop.vn"]]), {"preview": True})
    with pytest.raises(ApiError) as refused:
        api.rollback(previewed.job_id)
    assert refused.value.status == 409 and "cancel it instead" in refused.value.message

    applied = importer(csv_file(["Email"], [["b@shop.vn"]]))
    with pytest.raises(ApiError) as refused:
        api.cancel(applied.job_id)
    assert refused.value.status == 409 and "only a preview waiting for confirmation" in refused.value.message
    with pytest.raises(ApiError) as refused:
        api.confirm(applied.job_id)
    assert refused.value.status == 409 and "this one was not previewed" in refused.value.message


def test_rows_the_preview_could_not_process_are_not_applied_by_the_confirm(
    stack: Any, tenant: str, api: ApiClient, importer: Any, xlsx: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_decide = chunks.decide

    def poisoned(stores: Any, job: Any, message: Any, now: Any) -> Any:
        if job.tenant_id == tenant and message.chunk == 0 and message.phase == "preview":
            raise ValueError("this part of the file cannot be previewed")
        return real_decide(stores, job, message, now)

    monkeypatch.setattr(chunks, "decide", poisoned)
    rows = [[f"n{i}@shop.vn", "", f"N {i}", ""] for i in range(CHUNK_ROWS + 7)]
    previewed = importer(xlsx(HEADERS, rows), {"preview": True})
    assert (previewed.status["preview"]["new"], previewed.status["preview"]["not_processed"]) == (7, CHUNK_ROWS)

    api.confirm(previewed.job_id)
    run = settle(stack, api, previewed.job_id, tmp_path)

    assert (run.status["created"], run.status["stale"]) == (7, CHUNK_ROWS)
    assert len(stored_customers(stack, tenant)) == 7
    assert run.report_rows()[1][-1] == (
        "Row 2: the preview did not get to this row (its part of the file was not processed); not applied. "
        "Preview the file again to see the current changes"
    )
