"""Reading an uploaded file as rows of text, whatever its format.

Workbooks go through python-calamine (about 10x faster than openpyxl here; formulas give their cached values) after
``safety`` has bounded what it may load; CSV goes through the csv module, streamed. Every row comes out as
``(row_number, cells)`` with the row number Excel shows, so an error can name the row a person will look at.
"""

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import python_calamine
from charset_normalizer import from_bytes

from customer_bulk.errors import FileRejected
from customer_bulk.i18n import _
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.normalize import cell_text
from customer_bulk.schema import DEFAULT_SCHEMA, Schema
from customer_bulk.spreadsheet.safety import MAX_COLUMNS, check_archive, check_ole, column_letter

HEADER_SEARCH_ROWS = 20
CSV_DELIMITERS = ",;\t|"
# python-calamine silently cuts longer cells to this length: reaching it means the cell was longer.
CALAMINE_CELL_CAP = 32_767


@dataclass(slots=True)
class Table:
    """A sheet positioned after its header row."""

    sheet_name: str
    header_row: int
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    # Frees what reads the rows (the isolated reader's process) when they are not read to the end.
    close: Callable[[], None] = lambda: None


def open_table(
    path: Path, file_format: str, settings: TenantSettings, schema: Schema = DEFAULT_SCHEMA, sheet: str | None = None
) -> Table:
    if file_format == "csv":
        return _csv_table(path, settings, schema)
    if file_format == "xlsx":
        check_archive(path, settings)  # its text is no longer than the limit: what the reader gives is whole
        return _workbook_table(path, settings, schema, sheet, reader_cap=None)
    check_ole(path)
    return _workbook_table(path, settings, schema, sheet, reader_cap=CALAMINE_CELL_CAP)


def _workbook_table(
    path: Path, settings: TenantSettings, schema: Schema, sheet_name: str | None, reader_cap: int | None
) -> Table:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise FileRejected(
            "password_protected", _("The workbook is protected with a password; remove it and upload again.")
        ) from None
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError, ValueError) as error:
        raise FileRejected(
            "unreadable_file",
            # Translators: {error} is the reader library's own words.
            _("The workbook could not be read ({error}).", error=_short(error)),
        ) from None
    names = workbook.sheet_names
    if sheet_name is not None and sheet_name not in names:
        listed = ", ".join(f'"{name}"' for name in names)
        raise FileRejected(
            "no_such_sheet",
            # Translators: {sheets} is the list of the workbook's sheet names, each in quotes.
            _('The workbook has no sheet "{sheet}"; its sheets are {sheets}.', sheet=sheet_name, sheets=listed),
        )
    for name in [sheet_name] if sheet_name else names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except _CALAMINE_ERRORS as error:
            raise _damaged_sheet(name, error) from None
        if sheet.height == 0:
            continue
        return _positioned(name, _bounded(_sheet_rows(name, sheet), settings, reader_cap), schema)
    raise FileRejected("no_data", _("The workbook has no sheet with data."))


_CALAMINE_ERRORS = (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError, ValueError)


def _sheet_rows(name: str, sheet: python_calamine.CalamineSheet) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows with the row numbers Excel shows; a part that breaks while it is read is named."""
    start_row = sheet.start[0] if sheet.start else 0
    try:
        for offset, values in enumerate(sheet.iter_rows()):
            yield start_row + offset + 1, [cell_text(value) for value in values]
    except _CALAMINE_ERRORS as error:
        raise _damaged_sheet(name, error) from None


def _damaged_sheet(name: str, error: Exception) -> FileRejected:
    return FileRejected(
        "damaged_file",
        # Translators: {error} is the reader library's own words.
        _(
            'Sheet "{sheet}" is damaged and could not be read ({error}). Save it again from Excel.',
            sheet=name,
            error=_short(error),
        ),
    )


def _csv_table(path: Path, settings: TenantSettings, schema: Schema) -> Table:
    with path.open("rb") as stream:
        head = stream.read(1024 * 1024)
    encoding = _detect_encoding(head)
    sample = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    first_line = sample.split("\n", 1)[0].strip()
    has_sep_line = first_line.lower().startswith("sep=") and len(first_line) == 5
    delimiter = first_line[4] if has_sep_line else _sniff_delimiter(sample)  # "sep=;" is Excel's own hint
    text = path.open("r", encoding=encoding, newline="", errors="strict")
    if has_sep_line:
        text.readline()
    csv.field_size_limit(settings.max_cell_chars + 1)
    reader = csv.reader(text, delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, cells
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise FileRejected(
                    "cell_too_long",
                    _(
                        "Row {row}: a cell is longer than {limit} characters.",
                        row=str(number + 1),
                        limit=settings.max_cell_chars,
                    ),
                ) from None
            raise FileRejected(
                "unreadable_file",
                # Translators: {error} is the CSV reader's own words.
                _("Row {row}: the CSV is malformed ({error}).", row=str(number + 1), error=str(error)),
            ) from None
        except UnicodeDecodeError:
            line, byte = _undecodable_line(path, encoding)
            shown = f"0x{byte:02X}"
            raise FileRejected(
                "bad_encoding",
                # Translators: {encoding} is a name such as utf-8 or cp1258; {byte} is the byte in hexadecimal.
                _(
                    "Line {line} of the file has a byte that is not {encoding} text ({byte}). Save it as CSV "
                    "UTF-8 and upload again.",
                    line=str(line),
                    encoding=encoding,
                    byte=shown,
                ),
            ) from None
        finally:
            text.close()

    return _positioned("", _bounded(records(), settings), schema)


def _undecodable_line(path: Path, encoding: str) -> tuple[int, int]:
    """(line number, byte) of the first byte that does not decode: the text reader decodes ahead of the rows, so
    the row being read when it fails is not where the bad byte is."""
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines = 0
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            try:
                newlines += decoder.decode(block).count("\n")
            except UnicodeDecodeError as error:
                newlines += block[: error.start].decode(encoding, errors="ignore").count("\n")
                return newlines + 1, block[error.start] if error.start < len(block) else 0
    return newlines + 1, 0


def _detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) and UTF-16 with BOM by their marks, anything else by charset-normalizer."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start > len(head) - 4:  # a character cut by our 1 MB window
            return "utf-8"
        if not head[: error.start].isascii():
            # UTF-8 text (its accents decoded) with a bad byte: read as UTF-8, the reader names the line. Guessing
            # another encoding would turn every "Nguyễn" into "Nguyá»…n" without a word.
            return "utf-8"
    best = from_bytes(head, cp_isolation=["cp1252", "cp1258", "latin_1", "utf_16"]).best()
    if best is None:
        raise FileRejected(
            "bad_encoding",
            _("The file's text encoding could not be recognised. Save it as CSV UTF-8 and upload again."),
        )
    return best.encoding


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in io.StringIO(sample).read().splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        counts = {delimiter: lines[0].count(delimiter) for delimiter in CSV_DELIMITERS}
        return max(counts, key=lambda delimiter: counts[delimiter]) if any(counts.values()) else ","


def _bounded(
    rows: Iterator[tuple[int, list[str]]], settings: TenantSettings, reader_cap: int | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Refuse a cell no person typed (Excel's own limit is 32,767 characters) and drop blank rows."""
    limit = settings.max_cell_chars
    for number, cells in rows:
        width = len(cells)
        while width and not cells[width - 1]:
            width -= 1
        if width > MAX_COLUMNS:
            raise FileRejected(
                "too_many_columns",
                _(
                    "Row {row} has {columns} columns (the last in column {column}); at most {limit} are read.",
                    row=str(number),
                    columns=width,
                    column=column_letter(width - 1),
                    limit=MAX_COLUMNS,
                ),
            )
        for index, cell in enumerate(cells):
            capped = reader_cap is not None and len(cell) >= reader_cap
            if len(cell) > limit or capped:
                message = (
                    _(
                        "Row {row}, column {column}: a cell of at least {length} characters; the limit is {limit}.",
                        row=str(number),
                        column=column_letter(index),
                        length=len(cell),
                        limit=limit,
                    )
                    if capped
                    else _(
                        "Row {row}, column {column}: a cell of {length} characters; the limit is {limit}.",
                        row=str(number),
                        column=column_letter(index),
                        length=len(cell),
                        limit=limit,
                    )
                )
                raise FileRejected("cell_too_long", message)
        if any(cell.strip() for cell in cells):
            yield number, cells


def _positioned(sheet_name: str, rows: Iterator[tuple[int, list[str]]], schema: Schema) -> Table:
    """Find the header row: the first row naming a known field among the first few, else the first row."""
    seen: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        seen.append((number, cells))
        if schema.looks_like_header(cells) or len(seen) >= HEADER_SEARCH_ROWS:
            break
    if not seen:
        raise FileRejected("no_data", _("The file has no rows."))
    header_at = next((i for i, (_number, cells) in enumerate(seen) if schema.looks_like_header(cells)), 0)
    header_row, headers = seen[header_at]
    headers = [cell.strip() for cell in headers]

    def data() -> Iterator[tuple[int, list[str]]]:
        yield from seen[header_at + 1 :]
        yield from rows

    return Table(sheet_name=sheet_name, header_row=header_row, headers=headers, rows=data())


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:200]
