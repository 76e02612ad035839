"""Each admin reads their own language: real workbooks and emails read back in Vietnamese, Danish and Italian, and
a file written in one language imports back for a tenant set to another. Expected sentences are looked up in the
catalogs (and checked not to be the English ones), so the tests follow the translations, not a copy of them."""

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from customer_bulk.i18n import _, speaking
from customer_bulk.schema import DEFAULT_SCHEMA
from customer_bulk_local.client import ApiClient
from tests.conftest import ADMIN, run_import, settle, stored_customers, workbook_rows


def said(language: str, message: str, **params: Any) -> str:
    """``message`` as the catalog of ``language`` says it; a sentence must differ from the English (a single word
    may be the same: "Status" in Danish, "Email" in Italian)."""
    with speaking(language):
        text = _(message, **params)
    if language != "en" and " " in message:
        assert text != _(message, **params), f"{message!r} is not translated into {language}"
    return text


def client_of(stack: Any, tenant: str, language: str | None = None) -> ApiClient:
    """A client that asks for ``language``, or (None) one that sends no Accept-Language: the tenant's own."""
    return ApiClient(stack.api_url, tenant, ADMIN, language=language)


def test_a_fresh_tenant_reads_vietnamese_errors_and_email_and_the_errors_file_imports_back(
    stack: Any, tenant: str, xlsx: Any, tmp_path: Path
) -> None:
    client = client_of(stack, tenant)  # region VN by default: Vietnamese
    path = xlsx(
        ["Họ tên", "Email", "Số điện thoại"],
        [["Nguyễn Văn An", "an@shop.vn", "0912345678"], ["Trần Bình", "binh-khong-co-a-cong", ""]],
        name="khach-hang.xlsx",
    )
    run = run_import(stack, client, path, tmp_path=tmp_path)
    assert run.status["language"] == "vi"
    assert (run.status["created"], run.status["invalid"]) == (1, 1)

    invalid = workbook_rows(run.report, said("vi", "Invalid rows"))
    assert invalid[0] == ["Họ tên", "Email", "Số điện thoại", said("vi", "Error")]
    reason = said("vi", '"{value}" is not a valid email address: it has no @', value="binh-khong-co-a-cong")
    assert invalid[1][-1] == said("vi", "Row {row}: {errors}", row="3", errors=f"Email: {reason}")

    (email,) = run.emails
    assert email.subject == said(
        "vi",
        "Import finished: {file} - {created} created, {updated} updated, {unchanged} unchanged, {invalid} invalid",
        file="khach-hang.xlsx", created=1, updated=0, unchanged=0, invalid=1,
    )  # fmt: skip
    assert said("vi", "Import finished with rows to fix") in email.text and "lang='vi'" in email.html

    # The errors file, fixed and imported as it is: its Error column is not customer data, in any language.
    book = openpyxl.load_workbook(run.report)
    sheet = book[said("vi", "Invalid rows")]
    sheet.cell(row=2, column=2, value="binh@shop.vn")
    fixed = tmp_path / "khach-hang-da-sua.xlsx"
    book.save(fixed)
    again = run_import(stack, client_of(stack, tenant, "da"), fixed, tmp_path=tmp_path)
    assert (again.status["created"], again.status["invalid"], again.status["notes"]) == (1, 0, [])


def test_a_danish_tenant_previews_into_a_danish_diff_workbook(
    stack: Any, tenant: str, xlsx: Any, tmp_path: Path
) -> None:
    client = client_of(stack, tenant)
    client.update_settings({"default_region": "DK", "name_order": "given_first"})
    first = xlsx(["Fornavn", "Efternavn", "E-mail"], [["Bine", "Holm", "bine@shop.dk"]])
    run_import(stack, client, first, tmp_path=tmp_path)
    changed = xlsx(
        ["Fornavn", "Efternavn", "E-mail"], [["Sofie", "Holm", "bine@shop.dk"], ["Ane", "Lund", "ane@shop.dk"]]
    )
    run = run_import(stack, client, changed, {"preview": True}, tmp_path=tmp_path)
    assert run.status["language"] == "da"
    diff = client.download(run.status["preview"]["diff_report_url"], tmp_path / "diff.xlsx")
    sheet = openpyxl.load_workbook(diff)[said("da", "Changes")]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [said("da", "Row"), said("da", "Status"), "Fornavn", "Efternavn", "E-mail", said("da", "Details")]
    assert [row[1] for row in rows[1:]] == [said("da", "Changed"), said("da", "New")]
    assert sheet.cell(row=2, column=3).comment.text == said(
        "da", "{field} was: {value}", field=said("da", "First Name"), value="Bine"
    )
    summary = {row[0]: row[1] for row in workbook_rows(diff, said("da", "Summary"))[1:4]}
    assert summary[said("da", "New customers")] == 1 and summary[said("da", "Changed customers")] == 1
    (email,) = run.emails
    assert email.subject.startswith(said("da", "Preview ready").split()[0])


def test_an_italian_template_reads_back_for_a_vietnamese_tenant(stack: Any, tenant: str, tmp_path: Path) -> None:
    italian = client_of(stack, tenant, "it")
    content, _name = italian.template_file("xlsx")
    path = tmp_path / "modello.xlsx"
    path.write_bytes(content)
    book = openpyxl.load_workbook(path)
    sheet = book[said("it", "Customers")]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == [said("it", "Customer ID"), said("it", "First Name"), said("it", "Last Name")]
    email_column = headers.index(said("it", "Email")) + 1
    assert sheet.cell(row=1, column=email_column).comment.text == said(
        "it", "Identifies the customer (with Phone). One customer per email."
    )
    lists = {validation.formula1 for validation in sheet.data_validations.dataValidation}
    assert f'"{said("it", "yes")},{said("it", "no")}"' in lists

    run = run_import(stack, client_of(stack, tenant), path, tmp_path=tmp_path)  # the tenant's own: Vietnamese
    assert (run.status["language"], run.status["created"], run.status["invalid"]) == ("vi", 1, 0)
    (customer,) = stored_customers(stack, tenant).values()
    assert customer["accepts_email_marketing"] is True and customer["accepts_sms_marketing"] is False


def test_a_vietnamese_rollback_email(stack: Any, tenant: str, xlsx: Any, tmp_path: Path) -> None:
    client = client_of(stack, tenant)
    path = xlsx(["Email", "Tên"], [["an@shop.vn", "An"], ["binh@shop.vn", "Bình"]], name="lan-1.xlsx")
    run = run_import(stack, client, path, tmp_path=tmp_path)
    client.rollback(run.job_id)
    rolled = settle(stack, client, run.job_id, tmp_path)
    email = rolled.emails[-1]
    assert email.subject == said(
        "vi",
        "Import rolled back: {file} - {restored} restored, {removed} removed, {left_alone} left alone",
        file="lan-1.xlsx", restored=0, removed=2, left_alone=0,
    )  # fmt: skip
    assert said("vi", "Every customer the import created or changed is as it was before the import.") in email.text
    assert said("vi", "Removed (created by the import)") in email.html


@pytest.mark.parametrize(("written_in", "read_by"), [("da", "vi"), ("vi", "da")])
def test_an_export_in_one_language_imports_back_unchanged_for_a_tenant_in_another(
    stack: Any, tenant: str, xlsx: Any, tmp_path: Path, written_in: str, read_by: str
) -> None:
    client = client_of(stack, tenant)
    client.update_settings({"language": written_in})
    path = xlsx(
        ["Email", "Tên", "Họ", "Số điện thoại", "Nhận email", "Nhận SMS", "Thẻ", "Ngày sinh", "Giới tính"],
        [
            ["an@shop.vn", "An", "Nguyễn", "0912345678", "có", "không", "VIP, sỉ", "28/02/1990", "Nam"],
            ["binh@shop.vn", "Bình", "Trần", "", "không", "có", "", "", "Nữ"],
        ],
    )
    run_import(stack, client, path, tmp_path=tmp_path)
    export = client.create_export({"format": "xlsx"})
    assert export["language"] == written_in
    exported = client.download(export["files"][0]["url"], tmp_path / "export.xlsx")
    headers = workbook_rows(exported, said(written_in, "Customers"))[0]
    assert headers[:2] == [said(written_in, DEFAULT_SCHEMA["customer_id"].header), said(written_in, "First Name")]

    client.update_settings({"language": read_by})
    again = run_import(stack, client, exported, tmp_path=tmp_path)
    assert again.status["language"] == read_by
    counts = {name: again.status[name] for name in ("created", "updated", "unchanged", "invalid", "warnings")}
    assert counts == {"created": 0, "updated": 0, "unchanged": 2, "invalid": 0, "warnings": 0}
    assert again.status["notes"] == []  # every column was recognised
