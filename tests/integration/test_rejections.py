"""A file that cannot be imported is refused whole, with a reason that names the limit and the actual figure,
before anything is written; the admin is emailed the reason."""

import zipfile
from pathlib import Path
from typing import Any

import pytest

from customer_bulk.dal import stores
from customer_bulk.models.tenant import TenantSettings
from customer_bulk_local.client import ApiClient, ApiError
from tests.conftest import place_upload, stored_items


def objects_under(stack: Any, prefix: str) -> list[str]:
    s3 = stack.client("s3")
    bucket = stack.physical("FilesBucket")["Name"]
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def assert_rejected(stack: Any, tenant: str, run: Any, code: str, reason: str) -> None:
    assert run.status["status"] == "rejected"
    assert run.status["error_code"] == code
    assert reason in run.status["error"]
    assert stored_items(stack, tenant) == []
    assert objects_under(stack, f"jobs/{tenant}/") == []  # not even chunk files
    assert len(run.emails) == 1
    assert run.emails[0].subject.startswith("Import rejected:")
    assert reason in run.emails[0].text
    assert "no customer was changed" in run.emails[0].text


def test_more_rows_than_the_tenant_allows(stack: Any, tenant: str, importer: Any, csv_file: Any) -> None:
    stores().jobs.put_tenant_settings(tenant, TenantSettings(max_rows=100))
    run = importer(csv_file(["Email"], [[f"u{i}@shop.vn"] for i in range(173)]))
    assert_rejected(stack, tenant, run, "too_many_rows", "The file has 173 customer rows; the limit is 100 per import.")


def test_a_bigger_file_than_the_tenant_allows(
    stack: Any, tenant: str, api: ApiClient, csv_file: Any, tmp_path: Path
) -> None:
    stores().jobs.put_tenant_settings(tenant, TenantSettings(max_file_mb=0.01))  # about 10 KB
    path = csv_file(["Email", "Note"], [[f"u{i}@shop.vn", "x" * 50] for i in range(300)])
    created = api.create_import(path.name)
    with pytest.raises(ApiError, match="EntityTooLarge"):  # the form's content-length-range: S3 refuses it
        api.upload(created["upload"], path)
    assert objects_under(stack, f"uploads/{tenant}/") == []
    # Placed in the bucket some other way, the splitter still refuses it, naming the limit.
    run = place_upload(stack, api, path, tmp_path)
    assert_rejected(stack, tenant, run, "file_too_large", "MB; the limit is 0.01 MB.")


def test_a_file_without_an_email_or_phone_column(stack: Any, tenant: str, importer: Any, xlsx: Any) -> None:
    run = importer(xlsx(["Tên", "Địa chỉ"], [["An", "Hà Nội"]]))
    assert_rejected(
        stack, tenant, run, "no_key_column", "The file has no Email or Phone column, so no row could be matched"
    )
    assert '"Tên", "Địa chỉ"' in run.status["error"]


def test_matching_by_phone_needs_a_phone_column(stack: Any, tenant: str, importer: Any, xlsx: Any) -> None:
    run = importer(xlsx(["Email"], [["a@shop.vn"]]), {"match_key": "phone"})
    assert_rejected(stack, tenant, run, "no_key_column", "This import matches customers by phone")


def test_a_zip_bomb_never_reaches_a_parser(stack: Any, tenant: str, importer: Any, xlsx: Any, tmp_path: Path) -> None:
    honest = xlsx(["Email"], [["a@shop.vn"]])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(honest) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b"</sheetData>", b"<!---->" * 12_000_000 + b"</sheetData>")
            target.writestr(info.filename, data)
    run = importer(bomb)
    assert_rejected(stack, tenant, run, "hostile_archive", "refused as a possible zip bomb")


@pytest.mark.parametrize(
    ("name", "content", "code", "reason"),
    [
        ("customers.xlsx", b"%PDF-1.7 not a workbook", "unreadable_file", "is not a valid Excel file"),
        ("customers.csv", b"Email,Name\n", "no_data", "has a header row (row 1) but no customers below it"),
        ("customers.csv", b"", "empty_file", "The file is empty."),
    ],
)
def test_files_that_are_not_customer_lists(
    stack: Any,
    tenant: str,
    api: ApiClient,
    importer: Any,
    tmp_path: Path,
    name: str,
    content: bytes,
    code: str,
    reason: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if content:
        run = importer(path)
    else:  # the form asks for at least one byte (S3: EntityTooSmall); put there directly, the splitter says why
        with pytest.raises(ApiError, match="EntityTooSmall"):
            api.upload(api.create_import(path.name)["upload"], path)
        run = place_upload(stack, api, path, tmp_path)
    assert_rejected(stack, tenant, run, code, reason)
