"""Exports on the local stack: each scope, the columns, spreadsheet safety, round trips back through an import,
stale rows, and tenant isolation. The 10,000 / 30,000 boundaries are in test_export_volume.py."""

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import functions.exporter.app as exporter_task
from customer_bulk_local.client import ApiClient, ApiError
from customer_bulk_local.emulator import LocalStack
from tests.conftest import ADMIN, stored_customers

HEADERS = ["First Name", "Last Name", "Email", "Phone", "City", "Zip", "Tags", "Birthday", "Note"]


def _people(count: int, city: str = "Hà Nội", tags: str = "") -> list[list[Any]]:
    return [
        [f"Tên{n}", "Nguyễn", f"person{n}@shop.vn", f"09{n:08d}", city, f"0{n:04d}", tags, "15/03/1990", ""]
        for n in range(count)
    ]


def _download(api: ApiClient, export: dict[str, Any], folder: Path) -> list[Path]:
    return [api.download(link["url"], folder / link["file_name"]) for link in export["files"]]


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return list(csv.DictReader(stream))
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    return [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]


def test_a_small_export_answers_with_its_file_at_once(
    stack: LocalStack, api: ApiClient, tenant: str, importer: Any, xlsx: Any, tmp_path: Path
) -> None:
    importer(xlsx(HEADERS, _people(12)))
    export = api.create_export({})
    assert export["status"] == "completed" and export["delivery"] == "immediate" and export["rows"] == 12
    assert export["files"][0]["first_row"] == 1 and export["files"][0]["last_row"] == 12
    assert stack.sent_emails(export["export_id"]) == []  # downloaded at once, nothing to email
    assert api.export_status(export["export_id"])["files"][0]["file_name"] == export["files"][0]["file_name"]

    (path,) = _download(api, export, tmp_path)
    rows = _rows(path)
    stored = stored_customers(stack, tenant)
    assert [row["Email"] for row in rows] == sorted(stored, key=lambda email: stored[email]["customer_id"])
    first = rows[0]
    assert first["Customer ID"] == stored["person0@shop.vn"]["customer_id"]
    assert first["Phone"] == "+84900000000" and first["Zip"] == "00000" and first["Version"] == 1
    assert first["Birthday"].date().isoformat() == "1990-03-15"


def test_re_importing_an_unedited_export_changes_nothing_and_three_edits_update_three_customers(
    stack: LocalStack, api: ApiClient, tenant: str, importer: Any, xlsx: Any, tmp_path: Path
) -> None:
    importer(xlsx(HEADERS, _people(20, tags="VIP")))
    before = stored_customers(stack, tenant)
    (path,) = _download(api, api.create_export({}), tmp_path)

    unchanged = importer(path)
    assert unchanged.status["status"] == "completed"
    assert (unchanged.status["unchanged"], unchanged.status["updated"], unchanged.status["invalid"]) == (20, 0, 0)
    assert stored_customers(stack, tenant) == before

    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    edits = {(2, "City"): "Đà Nẵng", (5, "Last Name"): "Trần", (9, "Phone"): "0987000111"}
    for (row, header), value in edits.items():
        sheet.cell(row=row, column=headers.index(header) + 1, value=value)
    edited = tmp_path / "edited.xlsx"
    book.save(edited)

    result = importer(edited)
    assert (result.status["updated"], result.status["unchanged"], result.status["stale"]) == (3, 17, 0)
    after = stored_customers(stack, tenant)
    changed = {email for email in after if after[email] != before.get(email)}
    assert changed == {"person0@shop.vn", "person3@shop.vn", "person7@shop.vn"}
    assert after["person0@shop.vn"]["city"] == "Đà Nẵng"
    assert after["person3@shop.vn"]["last_name"] == "Trần"
    assert after["person7@shop.vn"]["phone"] == "+84987000111"
    assert after["person7@shop.vn"]["version"] == 2


def test_a_row_edited_in_the_system_since_the_export_is_reported_not_overwritten(
    stack: LocalStack, api: ApiClient, tenant: str, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    importer(csv_file(HEADERS, _people(3)))
    (path,) = _download(api, api.create_export({"format": "csv"}), tmp_path)
    importer(csv_file(["Email", "City"], [["person1@shop.vn", "Huế"]]))  # someone else edits, version 2

    rows = _rows(path)
    rows[1]["City"] = "Cần Thơ"  # the admin edits the exported (version 1) row
    rows[2]["Note"] = "gọi lại"
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    result = importer(edited)
    assert (result.status["stale"], result.status["updated"], result.status["unchanged"]) == (1, 1, 1)
    assert stored_customers(stack, tenant)["person1@shop.vn"]["city"] == "Huế"
    (message,) = [row[-1] for row in result.report_rows()[1:]]
    assert "this customer changed after the export (version 2 now, 1 in the file)" in message
    assert "Changed since the export (not applied)" in result.emails[0].text

    forced = importer(edited, {"force": True})
    assert (forced.status["stale"], forced.status["updated"]) == (0, 1)
    assert stored_customers(stack, tenant)["person1@shop.vn"]["city"] == "Cần Thơ"


def test_formula_text_is_neutralised_and_round_trips_in_xlsx_and_csv(
    stack: LocalStack, api: ApiClient, tenant: str, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    hostile = ['=HYPERLINK("http://evil.example","x")', "@SUM(A1)", "evil@shop.vn", "+84 912 000 111"]
    importer(csv_file(["First Name", "Last Name", "Email", "Phone", "Note"], [[*hostile, "=1+2"]]))
    (xlsx_path,) = _download(api, api.create_export({}), tmp_path)
    sheet = openpyxl.load_workbook(xlsx_path).active
    assert sheet is not None
    headers = [cell.value for cell in sheet[1]]
    cells = dict(zip(headers, sheet[2], strict=True))
    for header, value in (("First Name", hostile[0]), ("Last Name", "@SUM(A1)"), ("Note", "=1+2")):
        assert cells[header].value == value and cells[header].data_type == "s" and cells[header].quotePrefix
    assert cells["Phone"].value == "+84912000111" and not cells["Phone"].quotePrefix

    (csv_path,) = _download(api, api.create_export({"format": "csv"}), tmp_path)
    row = _rows(csv_path)[0]
    assert (row["First Name"], row["Last Name"], row["Note"]) == ("'" + hostile[0], "'@SUM(A1)", "'=1+2")
    for path in (xlsx_path, csv_path):
        again = importer(path)
        assert (again.status["unchanged"], again.status["updated"]) == (1, 0), path.suffix


def test_each_scope_exports_exactly_its_customers(
    stack: LocalStack, api: ApiClient, tenant: str, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    rows = [
        ["Lan", "Trần", "lan@shop.vn", "0911000001", "Hà Nội", "VN", "VIP, Sỉ", "yes", "2"],
        ["Minh", "Lê", "minh@shop.vn", "0911000002", "Ha Noi", "VN", "vip", "no", "3"],
        ["Anna", "Rossi", "anna@shop.it", "+39 06 6982 0000", "Roma", "IT", "", "yes", "4"],
        ["Bảo", "Phạm", "bao@shop.vn", "0911000004", "Huế", "VN", "sỉ", "no", "5"],
    ]
    headers = ["First Name", "Last Name", "Email", "Phone", "City", "Country Code", "Tags", "Accepts Email Marketing"]
    importer(csv_file([*headers, "Total Orders"], rows))
    ids = {email: customer["customer_id"] for email, customer in stored_customers(stack, tenant).items()}
    in_order = sorted(ids, key=ids.__getitem__)

    def emails(request: dict[str, Any]) -> list[str]:
        export = api.create_export(request)
        assert export["status"] == "completed"
        (path,) = _download(api, export, tmp_path)
        return [row["Email"] for row in _rows(path)]

    assert emails({"scope": {"kind": "all"}}) == in_order
    assert emails({"scope": {"kind": "page", "size": 2}}) == in_order[:2]
    assert emails({"scope": {"kind": "page", "size": 2, "cursor": ids[in_order[1]]}}) == in_order[2:4]
    assert emails({"scope": {"kind": "selected", "ids": [ids["bao@shop.vn"], ids["lan@shop.vn"]]}}) == [
        email for email in in_order if email in ("bao@shop.vn", "lan@shop.vn")
    ]

    def filtered(**conditions: Any) -> set[str]:
        return set(emails({"scope": {"kind": "filter", "filter": conditions}}))

    assert filtered(tags=["VIP"]) == {"lan@shop.vn", "minh@shop.vn"}
    assert filtered(tags=["si", "vip"]) == {"lan@shop.vn"}
    assert filtered(city="ha noi") == {"lan@shop.vn", "minh@shop.vn"}
    assert filtered(country_code="IT") == {"anna@shop.it"}
    assert filtered(accepts_email_marketing=True, country_code="VN") == {"lan@shop.vn"}
    assert filtered(search="pham bao") == {"bao@shop.vn"}
    assert filtered(search="0911 000 002") == {"minh@shop.vn"}
    assert filtered(created_to="2000-01-01") == set()
    assert filtered(updated_from="2000-01-01") == set(ids)


def test_columns_can_be_chosen_and_personal_data_left_out(
    api: ApiClient, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    importer(csv_file(HEADERS, _people(2)))
    (path,) = _download(api, api.create_export({"without_personal_data": True, "format": "csv"}), tmp_path)
    headers = list(_rows(path)[0])
    assert "Email" not in headers and "Phone" not in headers and "Zip" not in headers and "Birthday" not in headers
    assert headers[0] == "Customer ID" and headers[-1] == "Version" and "City" in headers
    (path,) = _download(api, api.create_export({"columns": ["email", "city"], "format": "csv"}), tmp_path)
    assert list(_rows(path)[0]) == ["Customer ID", "Email", "City", "Version"]  # the id and version always stay
    with pytest.raises(ApiError) as refused:
        api.create_export({"columns": ["email", "shoe_size"]})
    assert refused.value.status == 400 and "Unknown columns (shoe_size)" in refused.value.message


# Without an email or phone column a file is matched by its Customer ID (automatically, or asked for); with one, as
# usual.
@pytest.mark.parametrize(
    ("request_", "columns", "options"),
    [
        ({"columns": ["city"], "format": "csv"}, ["Customer ID", "City", "Version"], {}),
        (
            {"columns": ["first_name", "email"], "without_personal_data": True},
            ["Customer ID", "First Name", "Version"],
            {"match_key": "customer_id"},
        ),
        ({"columns": ["email", "city"]}, ["Customer ID", "Email", "City", "Version"], {}),
    ],
    ids=["narrowed", "narrowed-without-personal-data", "narrowed-matched-by-email"],
)
def test_a_narrowed_export_keeps_id_and_version_and_imports_back_unchanged(
    stack: LocalStack,
    api: ApiClient,
    tenant: str,
    importer: Any,
    csv_file: Any,
    tmp_path: Path,
    request_: Any,
    columns: list[str],
    options: dict[str, Any],
) -> None:
    importer(csv_file(HEADERS, _people(6)))
    before = stored_customers(stack, tenant)
    (path,) = _download(api, api.create_export(request_), tmp_path)
    assert list(_rows(path)[0]) == columns

    again = importer(path, options)
    assert again.status["status"] == "completed"
    assert any("matched to customers by Customer ID" in note for note in again.status["notes"]) is (
        "match_key" not in options and "email" not in request_["columns"]
    )
    counts = {name: again.status[name] for name in ("created", "updated", "unchanged", "stale", "invalid")}
    assert counts == {"created": 0, "updated": 0, "unchanged": 6, "stale": 0, "invalid": 0}
    assert stored_customers(stack, tenant) == before


def test_a_tenant_never_sees_another_tenants_customers_or_exports(
    stack: LocalStack, api: ApiClient, tenant: str, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    importer(csv_file(HEADERS, _people(3)))
    theirs = stored_customers(stack, tenant)
    other = ApiClient(stack.api_url, tenant + "-b", ADMIN, language="en")
    empty = other.create_export({})
    assert empty["status"] == "completed" and empty["rows"] == 0
    (path,) = _download(other, empty, tmp_path)
    assert _rows(path) == []  # the header alone
    selected = other.create_export({"scope": {"kind": "selected", "ids": [c["customer_id"] for c in theirs.values()]}})
    assert selected["rows"] == 0
    with pytest.raises(ApiError) as hidden:
        other.export_status(api.create_export({})["export_id"])
    assert hidden.value.status == 404


def test_bad_export_requests_are_refused_with_the_reason(api: ApiClient) -> None:
    for request, expected in (
        ({"scope": {"kind": "selected"}}, "needs the ids of the customers"),
        ({"scope": {"kind": "filter"}}, "a filtered export needs a filter"),
        ({"scope": {"kind": "page", "size": 5000}}, "scope.size"),
        ({"format": "pdf"}, "format"),
        ({"scope": {"kind": "filter", "filter": {"colour": "red"}}}, "colour"),
    ):
        with pytest.raises(ApiError) as refused:
            api.create_export(request)
        assert refused.value.status in (400, 422) and expected in refused.value.message, request


def test_an_export_that_cannot_be_written_fails_with_a_reason(
    api: ApiClient, tenant: str, importer: Any, csv_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    importer(csv_file(HEADERS, _people(2)))

    def broken(stores: Any, tenant_id: str, *args: Any) -> Any:
        raise OSError("no space left on device")

    monkeypatch.setattr(exporter_task, "write_part", broken)
    with pytest.raises(ApiError) as failed:
        api.create_export({})
    assert failed.value.status == 503
    export_id = failed.value.message.split()[1]
    status = api.export_status(export_id)
    assert status["status"] == "failed" and status["files"] == []
    assert status["error"] == "The export could not be completed because of an internal error. Please start it again."
