"""Exports without AWS: which customers a filter keeps, how an export is cut into parts, and the files' cells."""

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from customer_bulk.ids import new_id
from customer_bulk.logic import exports
from customer_bulk.models.export import CreateExportRequest, ExportFilter, ExportJob
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.ports import Stores
from customer_bulk.schema import schema_for
from customer_bulk.spreadsheet.export_file import CustomerFileWriter
from tests.conftest import fake_stores

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)

CUSTOMER: dict[str, Any] = {
    "customer_id": "01M8000000000000000000000A",
    "first_name": "Thảo",
    "last_name": "Nguyễn",
    "email": "thao@shop.vn",
    "phone": "+84912345678",
    "city": "Hà Nội",
    "country_code": "VN",
    "tags": ["VIP", "Khách sỉ"],
    "accepts_email_marketing": True,
    "accepts_sms_marketing": False,
    "created_at": "2026-03-10T08:00:00Z",
    "updated_at": "2026-11-01T08:00:00Z",
}


@pytest.mark.parametrize(
    ("conditions", "kept"),
    [
        ({"tags": ["vip"]}, True),
        ({"tags": ["khach si", "VIP"]}, True),  # every tag, accents and case ignored
        ({"tags": ["vip", "wholesale"]}, False),
        ({"accepts_email_marketing": True}, True),
        ({"accepts_sms_marketing": True}, False),
        ({"city": "ha noi"}, True),
        ({"city": "Hà Nam"}, False),
        ({"country_code": "vn"}, True),
        ({"created_from": "2026-03-10", "created_to": "2026-03-10"}, True),
        ({"created_from": "2026-03-11"}, False),
        ({"updated_to": "2026-10-31"}, False),
        ({"search": "nguyen thao"}, True),  # every word, in any order (Vietnamese puts the family name first)
        ({"search": "nguyen lan"}, False),
        ({"search": "NGUYỄN"}, True),
        ({"search": "thao@shop"}, True),
        ({"search": "0912 345"}, True),  # digits of the phone, however the admin types them
        ({"search": "678"}, False),  # too few digits to mean a phone
        ({"search": "zz"}, False),
    ],
)
def test_a_filter_keeps_the_customers_matching_every_condition(conditions: dict[str, Any], kept: bool) -> None:
    assert exports.matches(ExportFilter.model_validate(conditions), CUSTOMER) is kept


class _Customers:
    """A tenant's customers in id order, read the way the ByTenant index serves them."""

    def __init__(self, count: int) -> None:
        self.ids = [f"01M{number:023d}" for number in range(1, count + 1)]
        self.read = 0  # customers handed out so far

    def tenant_customers(
        self, tenant_id: str, after_id: str | None = None, last_id: str | None = None, full: bool = False
    ) -> Iterator[dict[str, Any]]:
        for customer_id in self.ids:
            if (after_id is None or customer_id > after_id) and (last_id is None or customer_id <= last_id):
                self.read += 1
                yield {"pk": f"{tenant_id}#E#{customer_id}", "customer_id": customer_id}


def _stores(customers: _Customers) -> Stores:
    """Logic receives its stores: only the customers are read here (the rest would fail loudly if touched)."""
    return fake_stores(customers=customers)


def _job(request: dict[str, Any] | None = None) -> ExportJob:
    return ExportJob(
        tenant_id="t1",
        export_id="01M8000000000000000000000Z",
        requested_by="a@b.c",
        api_url="https://api.example",
        request=CreateExportRequest.model_validate(request or {}),
        columns=["email"],
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize(
    ("customers", "part_rows"),
    [
        (10_000, [10_000]),
        (10_001, [10_001]),
        (30_000, [30_000]),
        (30_001, [30_000, 1]),
        (65_000, [30_000, 30_000, 5_000]),
    ],
)
def test_parts_hold_at_most_30000_customers_in_id_order(
    monkeypatch: pytest.MonkeyPatch, customers: int, part_rows: list[int]
) -> None:
    store = _Customers(customers)
    parts = exports.cut_parts(_stores(store), _job())
    assert [part.rows for part in parts] == part_rows
    assert [part.first_row for part in parts] == [1 + sum(part_rows[:n]) for n in range(len(part_rows))]
    # The ranges (after_id, last_id] tile the tenant's customers exactly once.
    covered = [cid for part in parts for cid in store.ids if (part.after_id or "") < cid <= str(part.last_id)]
    assert covered == store.ids


def test_the_immediate_check_reads_no_further_than_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _Customers(50_000)
    parts = exports.cut_parts(_stores(store), _job(), stop_after=10_001)
    assert sum(part.rows for part in parts) == 10_001
    assert store.read == 10_001  # of 50,000: the API answers after reading one more than it may write at once


def test_a_page_is_the_customers_after_the_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _Customers(500)
    parts = exports.cut_parts(_stores(store), _job({"scope": {"kind": "page", "cursor": store.ids[99], "size": 50}}))
    assert [(part.after_id, part.last_id, part.rows) for part in parts] == [(store.ids[99], store.ids[149], 50)]


def test_columns_follow_the_template_and_personal_data_can_be_left_out() -> None:
    schema = schema_for(TenantSettings())
    everything = exports.resolve_columns(CreateExportRequest(), schema)
    assert everything[0] == "customer_id" and everything[-1] == "version"
    assert everything[1:-1] == [spec.name for spec in schema.template_fields if spec.name != "customer_id"]
    private = exports.resolve_columns(CreateExportRequest(without_personal_data=True), schema)
    assert not {"email", "phone", "birthday", "address1", "address2", "zip"} & set(private)
    chosen = exports.resolve_columns(CreateExportRequest(columns=["version", "email", "first_name"]), schema)
    assert chosen == ["customer_id", "first_name", "email", "version"]  # the template's order, not the request's
    # However narrowed, the id and the version stay (first and last): the file imports back.
    assert exports.resolve_columns(CreateExportRequest(columns=["city"]), schema) == ["customer_id", "city", "version"]
    assert exports.resolve_columns(CreateExportRequest(columns=[]), schema) == ["customer_id", "version"]
    narrow_private = exports.resolve_columns(CreateExportRequest(columns=["email"], without_personal_data=True), schema)
    assert narrow_private == ["customer_id", "version"]


def test_unknown_columns_are_refused_by_name() -> None:
    with pytest.raises(exports.BadRequestError, match=r"Unknown columns \(shoe_size\)"):
        exports.resolve_columns(CreateExportRequest(columns=["email", "shoe_size"]), schema_for(TenantSettings()))


HOSTILE = {
    **CUSTOMER,
    "first_name": '=HYPERLINK("http://evil.example","click")',
    "last_name": "@SUM(A1:A9)",
    "company": "-2+3",
    "address1": "+cmd|' /C calc'!A0",
    "zip": "01234",
    "note": "\tTabbed",
    "birthday": "1990-02-28",
    "version": 7,
}


def _columns() -> list[Any]:
    schema = schema_for(TenantSettings())
    return [schema[name] for name in exports.resolve_columns(CreateExportRequest(), schema)]


def test_xlsx_cells_are_typed_and_formula_text_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    columns = _columns()
    with CustomerFileWriter(path, "xlsx", columns) as writer:
        writer.write(HOSTILE)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    assert headers == [spec.header for spec in columns]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref is not None
    row = dict(zip(headers, sheet[2], strict=True))
    for header in ("First Name", "Last Name", "Company", "Address 1"):
        cell = row[header]
        assert cell.data_type == "s" and cell.quotePrefix, header  # text shown as typed, never evaluated
    assert row["First Name"].value == HOSTILE["first_name"]
    assert row["Phone"].value == "+84912345678" and row["Phone"].data_type == "s" and not row["Phone"].quotePrefix
    assert row["Zip"].value == "01234" and row["Zip"].data_type == "s"
    assert row["Birthday"].value == dt.datetime(1990, 2, 28) and row["Birthday"].is_date
    assert row["Version"].value == 7
    assert row["Tags"].value == "VIP, Khách sỉ"
    assert row["Accepts Email Marketing"].value == "yes"


def test_csv_is_utf8_with_bom_and_formula_text_gets_an_apostrophe(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with CustomerFileWriter(path, "csv", _columns()) as writer:
        writer.write(HOSTILE)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header, row = list(csv.reader(stream))
    values = dict(zip(header, row, strict=True))
    assert values["First Name"] == "'" + HOSTILE["first_name"]
    assert values["Last Name"] == "'@SUM(A1:A9)"
    assert values["Note"] == "'\tTabbed"
    assert values["Phone"] == "+84912345678"  # a phone is data: no apostrophe
    assert values["Zip"] == "01234"
    assert values["City"] == "Hà Nội"


def test_ids_made_in_one_burst_sort_in_the_order_they_were_made() -> None:
    made = [new_id() for _ in range(20_000)]  # many share a millisecond
    assert made == sorted(made) and len(set(made)) == len(made)
    assert all(len(customer_id) == 26 for customer_id in made)
