"""Writing spreadsheets that are safe to open: the one .xlsx writer and the one CSV writer of the package.

OWASP's CSV-injection guidance: a cell starting with = + - @ tab or CR can run as a formula. In .xlsx we write such
values as text cells with Excel's quote-prefix style (the cell shows exactly the value and stays text even when
edited), so real data such as a "+84 912..." phone is not corrupted with an added apostrophe. In CSV, which has no
styles, such a value gets a leading apostrophe, which our import removes again. CSV starts with a UTF-8 BOM, so
Excel shows Vietnamese correctly.

Reports, diff and rollback workbooks, templates and exports all go through these two.
"""

import csv
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TextIO

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from customer_bulk.normalize import FORMULA_STARTS, is_formula_like

MAX_COLUMN_WIDTH = 60
FILLS = {"new": "#C6EFCE", "changed": "#FFEB9C", "invalid": "#FFC7CE"}  # Excel's good / neutral / bad
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
ColumnKind = Literal["text", "date", "number"]
CellWriter = Callable[[int, int, Any], None]


class SafeWorkbook:
    """An .xlsx written row by row in constant memory."""

    def __init__(self, path: Path) -> None:
        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
        self.text = self._book.add_format({"num_format": "@"})
        self.quoted = self._book.add_format({"num_format": "@", "quote_prefix": True})
        self.date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self.header = self._book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "num_format": "@"})
        self.error = self._book.add_format({"num_format": "@", "font_color": "#9C0006", "bg_color": "#FFC7CE"})
        self.warning = self._book.add_format({"num_format": "@", "font_color": "#9C5700", "bg_color": "#FFEB9C"})
        # Fills a diff shows rows and cells in: (text format, formula-safe text format) per fill.
        self.fills = {name: self._fill_formats(color) for name, color in FILLS.items()}

    def _fill_formats(self, color: str) -> tuple[Any, Any]:
        plain = {"num_format": "@", "bg_color": color}
        return self._book.add_format(plain), self._book.add_format({**plain, "quote_prefix": True})

    def add_sheet(
        self,
        name: str,
        headers: Sequence[str],
        widths: Sequence[int] | None = None,
        kinds: Sequence[ColumnKind | None] | None = None,
    ) -> "SafeSheet":
        """A sheet with a bold, frozen header row; ``kinds`` gives columns their format (text keeps leading zeros
        and a "+" as typed, even in cells a person adds later; dates show as dates)."""
        return SafeSheet(self, self._book.add_worksheet(name[:31]), headers, widths, kinds)

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> "SafeWorkbook":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class SafeSheet:
    def __init__(
        self,
        book: SafeWorkbook,
        sheet: Worksheet,
        headers: Sequence[str],
        widths: Sequence[int] | None,
        kinds: Sequence[ColumnKind | None] | None = None,
    ):
        self.book = book
        self.sheet = sheet
        self.columns = len(headers)
        self.next_row = 1
        formats = {"text": book.text, "date": book.date}
        for index, header in enumerate(headers):
            self._cell(0, index, header, book.header)
            width = widths[index] if widths else max(10, min(MAX_COLUMN_WIDTH, len(header) + 4))
            kind = kinds[index] if kinds else None
            sheet.set_column(index, index, width, formats.get(kind) if kind else None)
        sheet.freeze_panes(1, 0)

    def write_row(self, values: Sequence[Any], last_cell_format: Any = None) -> None:
        row = self.next_row
        for index, value in enumerate(values):
            if value is None or value == "":
                continue  # a blank stays blank, as it was uploaded
            cell_format = last_cell_format if last_cell_format is not None and index == len(values) - 1 else None
            if isinstance(value, int) and not isinstance(value, bool):
                self.sheet.write_number(row, index, value)  # numbers we produce (row numbers), never uploaded text
            else:
                self._cell(row, index, str(value), cell_format)
        self.next_row += 1

    def write_filled_row(
        self, values: Sequence[Any], fills: Sequence[str | None], comments: Mapping[int, str] | None = None
    ) -> None:
        """A row whose cells each take a fill (or none), blanks included, with comments on some cells."""
        row = self.next_row
        for index, value in enumerate(values):
            fill = fills[index] if index < len(fills) else None
            text_format, quoted_format = self.book.fills[fill] if fill else (self.book.text, self.book.quoted)
            if isinstance(value, int) and not isinstance(value, bool):
                self.sheet.write_number(row, index, value, text_format if fill else None)
            elif value is None or value == "":
                if fill:
                    self.sheet.write_blank(row, index, None, text_format)
            else:
                text = str(value)
                self.sheet.write_string(row, index, text, quoted_format if is_formula_like(text) else text_format)
        for index, comment in (comments or {}).items():
            self.sheet.write_comment(row, index, comment, {"x_scale": 1.5})
        self.next_row += 1

    def cell_writer(self, kind: ColumnKind) -> CellWriter:
        """The fastest safe way to write one kind of cell, for files of many rows (exports): text takes its
        column's format, so only formula-like text needs a style of its own."""
        sheet = self.sheet
        if kind == "date":
            date_format = self.book.date
            return lambda row, col, value: sheet.write_datetime(row, col, dt.date.fromisoformat(value), date_format)
        if kind == "number":
            return lambda row, col, value: sheet.write_number(row, col, value)
        write_string, quoted = sheet.write_string, self.book.quoted

        def write_text(row: int, col: int, text: str) -> None:
            if text[0] in FORMULA_STARTS and is_formula_like(text):  # the cheap test first: most text is safe
                write_string(row, col, text, quoted)
            else:
                write_string(row, col, text)

        return write_text

    def note(self, column: int, text: str) -> None:
        """A comment on the column's header cell (what the column takes): before any row is written, since the
        workbook streams rows out as it goes."""
        self.sheet.write_comment(0, column, text, {"x_scale": 2, "y_scale": 1.5})

    def choices(self, column: int, allowed: Sequence[str], rows: int = 10_000) -> None:
        """A dropdown of the allowed values on the column's first ``rows`` rows (a warning, not a refusal)."""
        self.sheet.data_validation(
            1, column, rows, column,
            {"validate": "list", "source": list(allowed), "ignore_blank": True, "error_type": "warning"},
        )  # fmt: skip

    def finish(self, rows: int | None = None) -> None:
        """The auto-filter over the header and the ``rows`` written (default: as many as ``write_row`` wrote)."""
        last = self.next_row - 1 if rows is None else rows
        if self.columns:
            self.sheet.autofilter(0, 0, max(last, 0), self.columns - 1)

    def _cell(self, row: int, column: int, text: str, cell_format: Any = None) -> None:
        if is_formula_like(text):
            self.sheet.write_string(row, column, text, self.book.quoted)
        else:
            self.sheet.write_string(row, column, text, cell_format or self.book.text)


class SafeCsv:
    """A CSV Excel opens as UTF-8 (a BOM first) in which no cell can run as a formula."""

    def __init__(self, stream: TextIO) -> None:
        stream.write("\ufeff")
        self._writer = csv.writer(stream)

    def write_row(self, values: Sequence[Any]) -> None:
        self._writer.writerow([self.cell(value) for value in values])

    @staticmethod
    def cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        text = str(value)
        return "'" + text if is_formula_like(text) else text
