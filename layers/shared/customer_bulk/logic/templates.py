"""The import template a tenant downloads: built from the same schema the validator uses, custom fields included."""

import io
import tempfile
from pathlib import Path

from customer_bulk.errors import BadRequestError
from customer_bulk.logic.tenants import tenant_settings
from customer_bulk.models.job import ImportType
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.normalize import NO_WORD, YES_WORD
from customer_bulk.ports import Stores
from customer_bulk.schema import FieldSpec, Kind, schema_for
from customer_bulk.spreadsheet.writer import CSV, MAX_COLUMN_WIDTH, XLSX, SafeCsv, SafeWorkbook

_EXAMPLES = {
    "first_name": "Văn An",
    "last_name": "Nguyễn",
    "email": "an.nguyen@example.com",
    "phone": "0912 345 678",
    "company": "Công ty ABC",
    "address1": "12 Lê Lợi",
    "city": "Quận 1",
    "province": "Hồ Chí Minh",
    "zip": "700000",
    "country": "Vietnam",
    "country_code": "VN",
    "accepts_email_marketing": YES_WORD,
    "accepts_sms_marketing": NO_WORD,
    "tags": "VIP, newsletter",
    "opening_spend": "1500000",
    "cumulative_spend": "2500000",
}
_DATE_EXAMPLE = {"DMY": "28/02/1990", "MDY": "02/28/1990", "YMD": "1990-02-28"}
_TEXT_KINDS = (Kind.ID, Kind.PHONE, Kind.TEXT, Kind.NAME, Kind.EMAIL)


def template_columns(settings: TenantSettings, import_type: ImportType = ImportType.CUSTOMERS) -> list[FieldSpec]:
    return list(schema_for(settings, import_type).template_fields)


def build_template(
    stores: Stores, tenant_id: str, file_format: str, import_type: str = "customers"
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the tenant's template in ``xlsx`` or ``csv``, for customers or for
    opening balances."""
    try:
        kind = ImportType(import_type)
    except ValueError:
        raise BadRequestError(f'Unknown import type "{import_type}": use customers or opening_balance.') from None
    if file_format not in ("xlsx", "csv"):
        raise BadRequestError(f'Unknown template format "{file_format}": use xlsx or csv.')
    settings = tenant_settings(stores, tenant_id)
    columns = template_columns(settings, kind)
    example = [_example(spec, settings) for spec in columns]
    stem = "opening-balance-template" if kind is ImportType.OPENING_BALANCE else "customers-template"
    headers = [spec.header for spec in columns]
    if file_format == "csv":
        buffer = io.StringIO()
        writer = SafeCsv(buffer)
        writer.write_row(headers)
        writer.write_row(example)
        return buffer.getvalue().encode("utf-8"), CSV, f"{stem}.csv"
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "template.xlsx"
        with SafeWorkbook(path) as book:
            # Notes say what each column takes; fixed sets of values get a dropdown; phones, zips and ids are text
            # columns, so Excel keeps their leading zeros.
            sheet = book.add_sheet(
                "Customers",
                headers,
                widths=[max(12, min(MAX_COLUMN_WIDTH, len(header) + 4)) for header in headers],
                kinds=["text" if _is_text(spec) else None for spec in columns],
            )
            for index, spec in enumerate(columns):
                if spec.help:
                    sheet.note(index, spec.help)
                allowed = spec.choices or ((YES_WORD, NO_WORD) if spec.kind is Kind.YES_NO else ())
                if allowed:
                    sheet.choices(index, allowed)
            sheet.write_row(example)
        return path.read_bytes(), XLSX, f"{stem}.xlsx"


def _is_text(spec: FieldSpec) -> bool:
    return spec.kind in _TEXT_KINDS or spec.name in ("zip", "province_code")


def _example(spec: FieldSpec, settings: TenantSettings) -> str:
    if spec.kind is Kind.DATE:
        return _DATE_EXAMPLE[settings.date_order]
    if spec.choices:
        return spec.choices[0]
    if spec.kind is Kind.NUMBER:
        return "100"
    return _EXAMPLES.get(spec.name, "")
