"""Refusing hostile or unusable files before any parser sees them.

An .xlsx is a zip: its central directory declares every member's sizes, which we read in well under a millisecond.
A 3.3 MB upload whose sheet inflates to 1.1 GB made python-calamine take 5 GB of memory; a 1.1 MB file holding one
1.15 GB cell took 2-3 GB in both calamine and openpyxl. Real workbooks compress 7-9x and bombs 300-1,000x, so a
per-member ratio limit catches both without refusing big honest files. The sheet's declared dimension is then
checked against the tenant's row limit.
"""

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException, ElementTree

from customer_bulk.errors import FileRejected
from customer_bulk.models.tenant import TenantSettings

MAX_ZIP_MEMBERS = 10_000
# Below this size a member cannot hurt, whatever its ratio (styles and themes compress very well).
RATIO_CHECK_FLOOR_BYTES = 1024 * 1024
# Header and title rows above the data, and a few trailing blank rows that Excel counts as used.
DIMENSION_SLACK_ROWS = 100
MAX_COLUMNS = 1_000

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True, slots=True)
class SheetPart:
    name: str
    member: str  # the worksheet XML inside the zip


def sniff_format(path: Path, file_name: str) -> str:
    """'xlsx', 'xls' or 'csv', by the bytes themselves: a renamed file is read as what it is, or refused."""
    with path.open("rb") as stream:
        head = stream.read(8)
    suffix = Path(file_name).suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE2_MAGIC):
        return "xls"
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise FileRejected(
            "unreadable_file",
            f'"{file_name}" is not a valid Excel file (its content is not a workbook). '
            "Save it again from Excel as .xlsx and upload that.",
        )
    if suffix in (".csv", ".txt", ".tsv", ""):
        return "csv"
    raise FileRejected(
        "unsupported_type",
        f'"{file_name}" is a {suffix} file; customer imports accept .xlsx, .xls and .csv.',
    )


def check_size(size: int, settings: TenantSettings) -> None:
    if size > settings.max_file_bytes:
        raise FileRejected(
            "file_too_large",
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is {settings.max_file_mb:g} MB.",
        )
    if size == 0:
        raise FileRejected("empty_file", "The file is empty.")


def check_archive(path: Path, settings: TenantSettings) -> list[SheetPart]:
    """Check an .xlsx's central directory and its sheets' declared dimensions; returns the sheets in order."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileRejected(
            "unreadable_file", "The file is not a valid .xlsx workbook (the zip container is damaged)."
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise FileRejected(
                "hostile_archive",
                f"The workbook holds {len(members):,} parts; a workbook has at most {MAX_ZIP_MEMBERS:,}.",
            )
        declared = sum(member.file_size for member in members)
        limit = settings.max_uncompressed_mb * 1024 * 1024
        if declared > limit:
            raise FileRejected(
                "hostile_archive",
                f"The workbook expands to {declared / 1024 / 1024:,.0f} MB; the limit is "
                f"{settings.max_uncompressed_mb:,.0f} MB.",
            )
        for member in members:
            if member.file_size < RATIO_CHECK_FLOOR_BYTES:
                continue
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > settings.max_compression_ratio:
                raise FileRejected(
                    "hostile_archive",
                    f'The workbook part "{member.filename}" expands {ratio:,.0f}x '
                    f"({member.compress_size:,} bytes to {member.file_size:,}); the limit is "
                    f"{settings.max_compression_ratio:g}x. The file was refused as a possible zip bomb.",
                )
        sheets = _sheet_parts(archive)
        for sheet in sheets:
            _check_dimension(archive, sheet, settings)
        return sheets


def _sheet_parts(archive: zipfile.ZipFile) -> list[SheetPart]:
    """Sheet names in workbook order with their XML parts (workbook.xml + its relationships)."""
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ParseError, DefusedXmlException):
        raise FileRejected(
            "unreadable_file", "The file is a zip but not an Excel workbook (xl/workbook.xml is missing or damaged)."
        ) from None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_NS_PKG_REL}Relationship")}
    parts = []
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        parts.append(SheetPart(name=sheet.get("name", ""), member=member))
    return parts


def _check_dimension(archive: zipfile.ZipFile, sheet: SheetPart, settings: TenantSettings) -> None:
    try:
        with archive.open(sheet.member) as stream:
            head = stream.read(64 * 1024)
    except KeyError:
        return  # chartsheets and the like have no cells
    match = _DIMENSION.search(head)
    if not match:
        return
    last_col, last_row = match.group(3) or match.group(1), match.group(4) or match.group(2)
    rows = int(last_row) if last_row else 0
    columns = _column_number(last_col.decode("ascii")) if last_col else 0
    if rows > settings.max_rows + DIMENSION_SLACK_ROWS:
        raise FileRejected(
            "too_many_rows",
            f'Sheet "{sheet.name}" declares {rows:,} rows; the limit is {settings.max_rows:,} customers per import. '
            "Split the file, or delete the empty rows below your data if it is smaller than that.",
        )
    if columns > MAX_COLUMNS:
        raise FileRejected(
            "too_many_columns",
            f'Sheet "{sheet.name}" declares {columns:,} columns; at most {MAX_COLUMNS:,} are read.',
        )


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


def column_letter(index: int) -> str:
    """0 -> 'A', 27 -> 'AB': how Excel names the column of a cell we complain about."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
