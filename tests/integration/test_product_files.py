"""Files as today's admins have them, from the products whose behaviour we adopt, imported on the local stack."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from customer_bulk.dal import stores
from customer_bulk.models.tenant import CustomField, CustomFieldKind, NameOrder, Requirement, TenantSettings
from customer_bulk.schema import TOTALS_NOTE
from customer_bulk_local.client import ApiClient, ApiError
from customer_bulk_local.samples import to_cp1258, write_xls
from tests.conftest import place_upload, stored_customers

SHOPIFY_HEADERS = [
    "Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company",
    "Default Address Address1", "Default Address Address2", "Default Address City", "Default Address Province Code",
    "Default Address Country Code", "Default Address Zip", "Default Address Phone", "Phone", "Accepts SMS Marketing",
    "Total Spent", "Total Orders", "Note", "Tax Exempt", "Tags",
]  # fmt: skip


def settings(tenant: str, **values: Any) -> None:
    stores().jobs.put_tenant_settings(tenant, TenantSettings(**values))


def test_a_shopify_customer_export(stack: Any, tenant: str, importer: Any, csv_file: Any) -> None:
    rows = [
        ["7001234567", "Lan", "Ngô", "lan@shop.vn", "yes", "ABC Co", "12 Lê Lợi", "", "Quận 1", "SG", "VN", "'700000",
         "+84 28 3822 1234", "'+84912345678", "no", "1250000.00", "7", "VIP since 2020", "no", "VIP, Hà Nội"],
        ["7001234568", "Minh", "Trần", "minh@shop.vn", "no", "", "", "", "", "", "US", "", "", "", "", "0.00", "0",
         "", "no", ""],
    ]  # fmt: skip
    run = importer(csv_file(SHOPIFY_HEADERS, rows, name="customers_export.csv"))

    assert (run.status["created"], run.status["invalid"], run.status["warnings"]) == (2, 0, 0)
    assert run.status["notes"] == [
        'Columns not imported (not customer fields): "Default Address Phone", "Tax Exempt".',
        TOTALS_NOTE,
    ]
    lan = stored_customers(stack, tenant)["lan@shop.vn"]
    assert {k: lan[k] for k in ("first_name", "last_name", "phone", "company", "city", "province_code", "zip")} == {
        "first_name": "Lan", "last_name": "Ngô", "phone": "+84912345678", "company": "ABC Co", "city": "Quận 1",
        "province_code": "SG", "zip": "700000",
    }  # fmt: skip
    assert (lan["country_code"], lan["country"]) == ("VN", "Vietnam")
    assert (lan["accepts_email_marketing"], lan["accepts_sms_marketing"]) == (True, False)
    assert lan["tags"] == ["VIP", "Hà Nội"]
    assert lan["external_id"] == "7001234567"  # Shopify's id, kept; ours is a new one
    assert lan["customer_id"] != "7001234567"
    assert "total_spent" not in lan and "total_orders" not in lan
    assert stored_customers(stack, tenant)["minh@shop.vn"]["country"] == "United States"
    assert "Total spent and total orders are not imported" in run.emails[0].text


def test_a_sapo_workbook_under_sapos_rules(stack: Any, tenant: str, importer: Any, xlsx: Any) -> None:
    settings(tenant, max_file_mb=5, requirement=Requirement.FIRST_NAME_AND_EMAIL)
    headers = ["First Name", "Last Name", "Email", "Company", "Address1", "City", "Country", "Country Code", "Phone",
               "Accepts Marketing", "Total Spent", "Total Orders", "Tags"]  # fmt: skip
    run = importer(
        xlsx(
            headers,
            [
                [
                    "Hoa",
                    "Lê",
                    "hoa@sapo.vn",
                    "",
                    "1 Hai Bà Trưng",
                    "Hà Nội",
                    "Việt Nam",
                    "",
                    "0912000001",
                    "",
                    "0",
                    "0",
                    "khách sỉ",
                ],
                ["", "Vũ", "vu@sapo.vn", "", "", "", "", "VN", "", "yes", "", "", ""],  # no first name
                ["Khánh", "Đỗ", "", "", "", "", "", "", "0912000003", "", "", "", ""],  # no email
                ["Nam", "Phan", "nam@sapo.vn", "", "", "", "Mars", "", "", "có", "", "", ""],
            ],
        )
    )
    assert (run.status["created"], run.status["invalid"], run.status["warnings"]) == (2, 2, 1)
    customers = stored_customers(stack, tenant)
    assert (customers["hoa@sapo.vn"]["country_code"], customers["hoa@sapo.vn"]["accepts_email_marketing"]) == (
        "VN",
        False,
    )
    assert customers["nam@sapo.vn"]["accepts_email_marketing"] is True
    errors = [row[-1] for row in run.report_rows()[1:]]
    assert errors == [
        "Row 3: First Name: is required (this account requires a first name and an email)",
        "Row 4: Email: is required (this account requires a first name and an email)",
    ]
    assert 'Country: "Mars" is not a country we know' in run.report_rows("Warnings")[1][-1]


def test_a_sapo_tenant_refuses_a_file_over_5_mb(
    stack: Any, tenant: str, api: ApiClient, csv_file: Any, tmp_path: Path
) -> None:
    settings(tenant, max_file_mb=5)
    rows = [[f"u{i}@sapo.vn", "x" * 200] for i in range(26_000)]
    path = csv_file(["Email", "Note"], rows)
    with pytest.raises(ApiError, match="EntityTooLarge"):
        api.upload(api.create_import(path.name)["upload"], path)
    run = place_upload(stack, api, path, tmp_path)  # past the form, the splitter still refuses it
    assert run.status["status"] == "rejected"
    assert run.status["error"].startswith("The file is 5.") and run.status["error"].endswith("the limit is 5 MB.")


def test_a_tix_semicolon_csv_keyed_on_customer_id(
    stack: Any, tenant: str, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    settings(tenant, default_region="DK", name_order=NameOrder.GIVEN_FIRST, genders=("Mand", "Kvinde"))
    headers = ["CustomerID", "Fornavn", "Efternavn", "E-mail", "Telefon", "Postnr", "By", "Køn"]
    existing = [
        ["0", "Søren", "Mølgaard", "soren@tix.dk", "20 12 34 56", "2100", "København Ø", "Mand"],
        ["0", "Åse", "Bæk", "ase@tix.dk", "", "8000", "Aarhus C", "Kvinde"],
    ]
    first = importer(csv_file(headers, existing, delimiter=";"), {"match_key": "customer_id"})
    assert first.status["created"] == 2
    ids = {email: item["customer_id"] for email, item in stored_customers(stack, tenant).items()}

    # The admin edits the export in Excel (Windows-1252, ";" as Danish Excel saves) and uploads it again
    lines = [";".join(headers),
             f"{ids['soren@tix.dk']};Søren;Mølgaard;soren.m@tix.dk;+45 20 12 34 56;2100;Kbh Ø;Mand",
             f"{ids['ase@tix.dk']};Åse;Bæk;ase@tix.dk;;8000;Aarhus C;Kvinde",
             "0;Ib;Ølgaard;ib@tix.dk;31 22 33 44;5000;Odense;Mand",
             "01ZZZZZZZZZZZZZZZZZZZZZZZZ;Eve;Fake;eve@tix.dk;;;;"]  # fmt: skip
    edited = tmp_path / "kunder.csv"
    edited.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    run = importer(edited, {"match_key": "customer_id"})

    assert {k: run.status[k] for k in ("created", "updated", "unchanged", "invalid")} == {
        "created": 1, "updated": 1, "unchanged": 1, "invalid": 1,
    }  # fmt: skip
    customers = stored_customers(stack, tenant)
    assert customers["soren.m@tix.dk"]["customer_id"] == ids["soren@tix.dk"]  # same customer, new email
    assert customers["soren.m@tix.dk"]["city"] == "Kbh Ø"
    assert customers["soren.m@tix.dk"]["phone"] == "+4520123456"
    assert "soren@tix.dk" not in customers
    assert customers["ib@tix.dk"]["last_name"] == "Ølgaard"
    assert run.report_rows()[1][-1].startswith(
        'Row 5: CustomerID: "01ZZZZZZZZZZZZZZZZZZZZZZZZ" is not a customer of this account'
    )


def test_a_ladiflow_vietnamese_workbook(stack: Any, tenant: str, importer: Any, tmp_path: Path) -> None:
    tier = CustomField(
        key="tier", label="Hạng thành viên", kind=CustomFieldKind.ENUM, allowed=("Bạc", "Vàng", "Kim cương")
    )
    settings(tenant, genders=("Nam", "Nữ"), custom_fields=(tier,))
    path = tmp_path / "danh-sach-khach-hang.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("Khách hàng")
        sheet.merge_range(0, 0, 0, 7, "DANH SÁCH KHÁCH HÀNG THÁNG 11")
        sheet.write_row(
            2,
            0,
            [
                "STT",
                "Họ và tên",
                "Giới tính",
                "Ngày sinh",
                "Số điện thoại",
                "Email",
                "Hạng thành viên",
                "Nhóm khách hàng",
            ],
        )
        date = book.add_format({"num_format": "dd/mm/yyyy"})
        sheet.write_row(3, 0, [1, "Nguyễn Văn An", "Nam"])
        sheet.write_datetime(3, 3, dt.datetime(1990, 2, 28), date)
        sheet.write_row(3, 4, [912345678, "an@ladi.vn", "Vàng", "VIP; Hà Nội"])
        sheet.write_row(4, 0, [2, "Trần Thị Bình", "NAM", "31/02/1990", "0987 654 321", "", "Platinum", ""])
        sheet.write_row(5, 0, [3, "Lê Chi", "Nữ", "", "", "chi@ladi", "", ""])
    run = importer(path)

    assert (run.status["created"], run.status["invalid"], run.status["warnings"]) == (2, 1, 1)
    assert run.status["notes"] == ['Columns not imported (not customer fields): "STT".']
    customers = stored_customers(stack, tenant)
    an = customers["an@ladi.vn"]
    assert (an["last_name"], an["first_name"], an["gender"], an["birthday"]) == (
        "Nguyễn",
        "Văn An",
        "Nam",
        "1990-02-28",
    )
    assert (an["phone"], an["cf_tier"], an["tags"]) == ("+84912345678", "Vàng", ["VIP", "Hà Nội"])
    binh = customers["+84987654321"]
    assert (
        binh["first_name"] == "Thị Bình" and "gender" not in binh and "birthday" not in binh and "cf_tier" not in binh
    )
    warning = run.report_rows("Warnings")[1][-1]
    assert 'Giới tính: "NAM" is not one of the allowed values ("Nam", "Nữ")' in warning
    assert 'Ngày sinh: "31/02/1990" is not a date: February 1990 has 28 days, not 31' in warning
    assert 'Hạng thành viên: "Platinum" is not one of the allowed values ("Bạc", "Vàng", "Kim cương")' in warning
    assert run.report_rows()[1][-1].startswith('Row 6: Email: "chi@ladi" is not a valid email address')


def test_an_old_xls_workbook(stack: Any, tenant: str, importer: Any, tmp_path: Path) -> None:
    path = write_xls(
        tmp_path / "khach.xls", ["Họ tên", "Email", "Điện thoại"], [["Phạm Dũng", "dung@pos.vn", 903000111]]
    )
    run = importer(path)
    assert run.status["created"] == 1
    assert stored_customers(stack, tenant)["dung@pos.vn"]["phone"] == "+84903000111"


def test_a_windows_1258_vietnamese_csv_is_read_without_mojibake(
    stack: Any, tenant: str, importer: Any, tmp_path: Path
) -> None:
    path = tmp_path / "khach-hang.csv"
    path.write_bytes(
        to_cp1258("Họ và tên,Email,Địa chỉ\nPhạm Đức Thắng,thang@shop.vn,Đà Nẵng\nNguyễn Thị Ngọc,ngoc@shop.vn,Huế\n")
    )
    run = importer(path)
    assert run.status["created"] == 2
    thang = stored_customers(stack, tenant)["thang@shop.vn"]
    assert (thang["last_name"], thang["first_name"], thang["address1"]) == ("Phạm", "Đức Thắng", "Đà Nẵng")


def test_the_named_sheet_is_read(stack: Any, tenant: str, importer: Any, tmp_path: Path) -> None:
    path = tmp_path / "two-sheets.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        book.add_worksheet("Hướng dẫn").write(0, 0, "Điền thông tin vào sheet Khách hàng")
        sheet = book.add_worksheet("Khách hàng")
        sheet.write_row(0, 0, ["Email"])
        sheet.write_row(1, 0, ["a@shop.vn"])
    assert importer(path, {"sheet": "Khách hàng"}).status["created"] == 1
    missing = importer(path, {"sheet": "Sheet9"})
    assert missing.status["error"] == 'The workbook has no sheet "Sheet9"; its sheets are "Hướng dẫn", "Khách hàng".'


@pytest.mark.parametrize("maker", ["openpyxl", "xlsxwriter"])
def test_workbooks_from_either_writer_import_alike(
    stack: Any, tenant: str, importer: Any, tmp_path: Path, maker: str
) -> None:
    path = tmp_path / f"{maker}.xlsx"
    rows = [["Email", "Phone", "Birthday"], ["a@shop.vn", "0912345678", dt.datetime(1991, 7, 4)]]
    if maker == "openpyxl":
        import openpyxl

        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    else:
        with xlsxwriter.Workbook(str(path)) as book:
            sheet = book.add_worksheet()
            sheet.write_row(0, 0, rows[0])
            sheet.write_row(1, 0, rows[1][:2])
            sheet.write_datetime(1, 2, rows[1][2], book.add_format({"num_format": "yyyy-mm-dd"}))
    importer(path)
    assert stored_customers(stack, tenant)["a@shop.vn"]["birthday"] == "1991-07-04"
