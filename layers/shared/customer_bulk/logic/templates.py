"""The import template a tenant downloads: built from the same schema the validator uses, custom fields included."""

import io
import tempfile
from pathlib import Path

from customer_bulk.errors import BadRequestError
from customer_bulk.i18n import Language, _, speaking
from customer_bulk.logic.tenants import tenant_settings
from customer_bulk.models.job import ImportType
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.normalize import NO_WORD, YES_WORD, yes_no
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
    "tags": "VIP, newsletter",
    "opening_spend": "1500000",
    "cumulative_spend": "2500000",
}
_DATE_EXAMPLE = {"DMY": "28/02/1990", "MDY": "02/28/1990", "YMD": "1990-02-28"}
_TEXT_KINDS = (Kind.ID, Kind.PHONE, Kind.TEXT, Kind.NAME, Kind.EMAIL)


def template_columns(settings: TenantSettings, import_type: ImportType = ImportType.CUSTOMERS) -> list[FieldSpec]:
    return list(schema_for(settings, import_type).template_fields)


def build_template(
    stores: Stores, tenant_id: str, file_format: str, import_type: str = "customers", language: Language | None = None
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the tenant's template in ``xlsx`` or ``csv``, for customers or for
    opening balances, in ``language`` (else the tenant's): headers, notes and yes / no values."""
    settings = tenant_settings(stores, tenant_id)
    with speaking(language or settings.speaks):
        return _template(settings, file_format, import_type)


def _template(settings: TenantSettings, file_format: str, import_type: str) -> tuple[bytes, str, str]:
    try:
        kind = ImportType(import_type)
    except ValueError:
        raise BadRequestError(
            _('Unknown import type "{type}": use customers or opening_balance.', type=import_type)
        ) from None
    if file_format not in ("xlsx", "csv"):
        raise BadRequestError(_('Unknown template format "{format}": use xlsx or csv.', format=file_format))
    columns = template_columns(settings, kind)
    example = [_example(spec, settings) for spec in columns]
    stem = "opening-balance-template" if kind is ImportType.OPENING_BALANCE else "customers-template"
    headers = [spec.label for spec in columns]
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
                _("Customers"),
                headers,
                widths=[max(12, min(MAX_COLUMN_WIDTH, len(header) + 4)) for header in headers],
                kinds=["text" if _is_text(spec) else None for spec in columns],
            )
            for index, spec in enumerate(columns):
                if note := spec.note:
                    sheet.note(index, note)
                allowed = spec.choices or ((_(YES_WORD), _(NO_WORD)) if spec.kind is Kind.YES_NO else ())
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
    if spec.kind is Kind.YES_NO:
        return yes_no(spec.name == "accepts_email_marketing")
    return _EXAMPLES.get(spec.name, "")
