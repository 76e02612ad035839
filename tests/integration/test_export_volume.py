"""The export boundaries at their real sizes: 10,000 rows is immediate, 10,001 goes by email, 30,000 is one part,
30,001 two, 65,000 three. Every part is downloaded and read back.

The customers are written straight into the customers table in the shape an import gives them (an import of
65,000 rows would test the import again and take minutes); the export reads them through its own code."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

import functions.exporter.app as exporter_task
from customer_bulk.dal.dynamo import batch_write
from customer_bulk.ids import new_id
from customer_bulk.storage_layout import key_address, tenant_shard
from customer_bulk_local.client import ApiClient
from customer_bulk_local.emulator import LocalStack

pytestmark = pytest.mark.slow


def _customers(tenant: str, start: int, count: int) -> Iterator[dict[str, Any]]:
    now = "2026-11-23T08:00:00Z"
    for number in range(start, start + count):
        customer_id = new_id()
        email = f"member{number:06d}@shop.vn"
        yield {
            "pk": key_address(tenant, "email", email),
            "kind": "customer",
            "customer_id": customer_id,
            "tenant_id": tenant,
            "tenant_shard": tenant_shard(tenant, customer_id),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "email": email,
            "first_name": f"Khách {number}",
            "last_name": "Nguyễn",
            "city": "Hồ Chí Minh",
            "tags": ["member"],
            "accepts_email_marketing": False,
            "accepts_sms_marketing": False,
        }


class _Tenant:
    def __init__(self, stack: LocalStack, tenant: str) -> None:
        self.table = stack.physical("CustomersTable")["Name"]
        self.tenant = tenant
        self.emails: list[str] = []  # in customer-id order, which is the order they were written

    def grow_to(self, total: int) -> None:
        batch = list(_customers(self.tenant, len(self.emails), total - len(self.emails)))
        batch_write(self.table, batch, [])
        self.emails += [item["email"] for item in batch]


def _read_part(path: Path) -> list[str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    email = rows[0].index("Email")
    return [str(row[email]) for row in rows[1:]]


def _export(stack: LocalStack, api: ApiClient, tmp_path: Path) -> tuple[dict[str, Any], list[list[str]], Any]:
    started = time.monotonic()
    export = api.create_export({})
    if export["status"] != "completed":
        export = api.wait_export(export["export_id"], timeout_s=1200, poll_s=1)
    folder = tmp_path / export["export_id"]
    parts = [_read_part(api.download(link["url"], folder / link["file_name"])) for link in export["files"]]
    emails = stack.sent_emails(export["export_id"])
    print(f"{export['rows']:,} rows exported in {time.monotonic() - started:.1f} s")
    return export, parts, emails


def test_export_boundaries_at_their_real_sizes(
    stack: LocalStack, api: ApiClient, tenant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = _Tenant(stack, tenant)

    members.grow_to(10_000)
    export, parts, emails = _export(stack, api, tmp_path)
    assert (export["delivery"], export["rows"], len(parts), emails) == ("immediate", 10_000, 1, [])
    assert parts[0] == members.emails

    members.grow_to(10_001)
    export, parts, emails = _export(stack, api, tmp_path)
    assert (export["delivery"], export["status"], export["rows"]) == ("email", "completed", 10_001)
    assert parts == [members.emails]
    (email,) = emails
    assert email.subject == "Customer export ready: 10,001 customers in 1 file"
    assert f"{export['files'][0]['file_name']}: rows 1 to 10,001" in email.text

    # A part that keeps failing: retried by the Map, then the export ends as failed and the admin is told.
    attempts = []

    def broken(stores: Any, tenant_id: str, export_id: str, part: int, now: Any) -> Any:
        attempts.append(part)
        raise OSError("no space left on device")

    monkeypatch.setattr(exporter_task, "write_part", broken)
    failed, parts, emails = _export(stack, api, tmp_path)
    monkeypatch.undo()
    assert (failed["status"], failed["files"], parts, attempts) == ("failed", [], [], [0, 0, 0])
    assert failed["error"] == "The export could not be completed because of an internal error. Please start it again."
    assert [email.subject for email in emails] == ["Customer export failed"]

    members.grow_to(30_000)
    export, parts, _ = _export(stack, api, tmp_path)
    assert [len(part) for part in parts] == [30_000] and parts[0] == members.emails

    members.grow_to(30_001)
    export, parts, emails = _export(stack, api, tmp_path)
    assert [len(part) for part in parts] == [30_000, 1]
    assert parts[0] + parts[1] == members.emails
    names = [link["file_name"] for link in export["files"]]
    assert names[0].endswith("-part-1-of-2.xlsx") and names[1].endswith("-part-2-of-2.xlsx")
    assert f"{names[1]}: rows 30,001 to 30,001 (1 customer," in emails[0].text

    members.grow_to(65_000)
    export, parts, emails = _export(stack, api, tmp_path)
    assert [len(part) for part in parts] == [30_000, 30_000, 5_000]
    assert [email for part in parts for email in part] == members.emails
    assert [(link["first_row"], link["last_row"]) for link in export["files"]] == [
        (1, 30_000),
        (30_001, 60_000),
        (60_001, 65_000),
    ]
    (email,) = emails
    assert email.subject == "Customer export ready: 65,000 customers in 3 files"
    for link in export["files"]:
        # (each GET presigns afresh, so the link's address is compared, not its signature)
        assert link["file_name"] in email.text and link["url"].split("?")[0] in email.text
    assert "valid for 7 days" in email.text
