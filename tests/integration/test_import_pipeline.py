"""The whole path a file travels, on the local stack: presigned POST -> S3 -> splitter -> FIFO chunks ->
validators -> DynamoDB -> state machine -> error workbook -> SES."""

from typing import Any

import openpyxl

from tests.conftest import ADMIN, stored_customers, stored_items

HEADERS = ["Họ", "Tên", "Email", "Số điện thoại", "Ghi chú", "Mã giới thiệu"]


def test_a_mixed_file_lands_exactly_the_right_customers_counts_report_and_one_email(
    stack: Any, tenant: str, importer: Any, xlsx: Any, tmp_path: Any
) -> None:
    # Given three customers the tenant already has
    first = importer(
        xlsx(
            HEADERS,
            [
                ["Nguyễn", "An", "an@shop.vn", "0912 345 678", ""],
                ["Trần", "Bình", "binh@shop.vn", "", ""],
                ["Lê", "Chi", "", "0987654321", ""],
            ],
        )
    )
    assert first.status["created"] == 3

    # When a file with new, existing, changed, broken and repeated rows is imported
    run = importer(
        xlsx(
            HEADERS,
            [
                ["Nguyễn", "An", "AN@shop.vn", "0912345678", ""],  # 2: existing, identical -> unchanged
                ["Trần Văn", "Bình", "binh@shop.vn", "", ""],  # 3: existing, new last name -> updated
                ["Lê", "Chi Mai", "", "+84 987 654 321", ""],  # 4: existing by phone, new first name -> updated
                ["Phạm", "Dũng", "dung@shop.vn", 912000111, "VIP"],  # 5: new, phone as a number -> created
                ["Hồ", "Giang", "", "0903 000 222", ""],  # 6: new, phone only -> created
                ["Vũ", "Hà", "ha at shop.vn", "", ""],  # 7: bad email, no phone -> invalid
                ["Đỗ", "Khánh", "", "", "no key"],  # 8: no key at all -> invalid
                ["Phạm", "Dũng 2", "Dung@Shop.vn", "", ""],  # 9: repeats row 5's email -> invalid
                ["Ngô", "Lan", "lan@shop.vn", "12345", ""],  # 10: bad phone, good email -> created, warning
                ['=HYPERLINK("http://evil")', "Mai", "", "", ""],  # 11: no key, formula-like -> invalid
            ],
            name="customers-november.xlsx",
        )
    )

    # Then the job's counts are exact
    status = run.status
    assert status["status"] == "completed"
    assert (status["rows_total"], status["rows_processed"], status["percent"]) == (10, 10, 100)
    assert {k: status[k] for k in ("created", "updated", "unchanged", "skipped", "invalid", "warnings")} == {
        "created": 3,
        "updated": 2,
        "unchanged": 1,
        "skipped": 0,
        "invalid": 4,
        "warnings": 1,
    }
    assert status["notes"] == ['Columns not imported (not customer fields): "Mã giới thiệu".']

    # And exactly these customers are stored, once each, with normalised values
    customers = stored_customers(stack, tenant)
    assert set(customers) == {
        "an@shop.vn",
        "binh@shop.vn",
        "+84987654321",
        "dung@shop.vn",
        "+84903000222",
        "lan@shop.vn",
    }
    assert customers["binh@shop.vn"]["last_name"] == "Trần Văn" and customers["binh@shop.vn"]["version"] == 2
    assert customers["+84987654321"]["first_name"] == "Chi Mai"
    assert customers["dung@shop.vn"]["phone"] == "+84912000111"
    assert customers["dung@shop.vn"]["note"] == "VIP"
    assert "phone" not in customers["lan@shop.vn"]
    assert customers["an@shop.vn"]["version"] == 1
    pointers = {item["pk"]: item for item in stored_items(stack, tenant) if item["kind"] == "pointer"}
    assert pointers == {
        f"{tenant}#P#+84912345678": {
            "pk": f"{tenant}#P#+84912345678",
            "kind": "pointer",
            "home": f"{tenant}#E#an@shop.vn",
            "ref_customer_id": customers["an@shop.vn"]["customer_id"],
        },
        f"{tenant}#P#+84912000111": {
            "pk": f"{tenant}#P#+84912000111",
            "kind": "pointer",
            "home": f"{tenant}#E#dung@shop.vn",
            "ref_customer_id": customers["dung@shop.vn"]["customer_id"],
        },
    }

    # And the error workbook holds the invalid rows exactly as uploaded, plus what to fix
    invalid = run.report_rows("Invalid rows")
    assert invalid[0] == [*HEADERS, "Error"]
    assert [row[:5] for row in invalid[1:]] == [
        ["Vũ", "Hà", "ha at shop.vn", None, None],
        ["Đỗ", "Khánh", None, None, "no key"],
        ["Phạm", "Dũng 2", "Dung@Shop.vn", None, None],
        ['=HYPERLINK("http://evil")', "Mai", None, None, None],
    ]
    errors = [row[6] for row in invalid[1:]]
    assert errors[0].startswith('Row 7: Email: "ha at shop.vn" is not a valid email address')
    assert errors[1] == (
        "Row 8: Email or Số điện thoại: is required: the row has no usable email or phone, "
        "so it cannot be matched to a customer"
    )
    assert errors[2] == (
        'Row 9: Email: "dung@shop.vn" is also on row 5; the first occurrence was imported and this row was skipped'
    )
    formula_cell = openpyxl.load_workbook(run.report)["Invalid rows"]["A5"]
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix  # shown as text, never evaluated
    warnings = run.report_rows("Warnings")
    assert warnings[1][:4] == [10, "Ngô", "Lan", "lan@shop.vn"]
    assert warnings[1][-1] == (
        'Số điện thoại: "12345" is not a valid phone number (checked as a VN number); this field was not imported'
    )

    # And exactly one email went to the admin, with the numbers and the link
    assert len(run.emails) == 1
    email = run.emails[0]
    assert email.to == [ADMIN]
    assert email.subject == ("Import finished: customers-november.xlsx - 3 created, 2 updated, 1 unchanged, 4 invalid")
    for line in ("Created:", "Updated:", "Unchanged:", "Invalid:", "Imported with a field skipped:"):
        assert line in email.text
    assert "customers-november-errors.xlsx" in email.text
    assert status["error_report_url"].split("?")[0] in email.text
    assert "<table" in email.html and "customers-november-errors.xlsx" in email.html


def test_the_error_workbook_reimports_as_is_once_fixed(stack: Any, importer: Any, xlsx: Any, tmp_path: Any) -> None:
    # Given an import with two invalid rows
    run = importer(xlsx(["Email", "Phone", "First Name"], [["ok@shop.vn", "", "A"], ["bad@", "", "B"], ["", "", "C"]]))
    assert run.status["invalid"] == 2

    # When the admin fixes one row in the downloaded errors.xlsx and imports that very file
    assert run.report is not None
    book = openpyxl.load_workbook(run.report)
    book["Invalid rows"]["A2"] = "fixed@shop.vn"
    book.save(fixed := tmp_path / "fixed.xlsx")
    again = importer(fixed)

    # Then the fixed row is created, the other is still reported, and our Error column is not "unknown"
    assert (again.status["created"], again.status["invalid"]) == (1, 1)
    assert again.status["notes"] == []


def test_every_row_valid_means_no_report_and_an_email_that_says_so(importer: Any, csv_file: Any) -> None:
    run = importer(csv_file(["email", "first name"], [["a@shop.vn", "A"], ["b@shop.vn", "B"]]))
    assert run.status["status"] == "completed" and run.status["created"] == 2
    assert run.report is None and run.status["error_report_url"] is None
    assert "Every row was imported." in run.emails[0].text


def test_a_file_spanning_many_chunks_counts_every_row_once(stack: Any, tenant: str, importer: Any, xlsx: Any) -> None:
    rows = [[f"user{i}@shop.vn", f"09{i:08d}" if i % 3 else "", f"User {i}"] for i in range(437)]
    run = importer(xlsx(["Email", "Phone", "First Name"], rows))
    assert run.status["rows_total"] == 437 and run.status["created"] == 437
    assert len(stored_customers(stack, tenant)) == 437
