"""Writing spreadsheets that are safe to open: streamed, every value a text cell, formulas neutralised.

OWASP's CSV-injection guidance: a cell starting with = + - @ tab or CR can run as a formula. In .xlsx we write such
values as text cells with Excel's quote-prefix style (the cell shows exactly the value and stays text even when
edited), so real data such as a "+84 912..." phone is not corrupted with an added apostrophe.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from customer_bulk.normalize import is_formula_like

MAX_COLUMN_WIDTH = 60
FILLS = {"new": "#C6EFCE", "changed": "#FFEB9C", "invalid": "#FFC7CE"}  # Excel's good / neutral / bad
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SafeWorkbook:
    """An .xlsx written row by row in constant memory."""

    def __init__(self, path: Path) -> None:
        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
        self.text = self._book.add_format({"num_format": "@"})
        self.quoted = self._book.add_format({"num_format": "@", "quote_prefix": True})
        self.header = self._book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "num_format": "@"})
        self.error = self._book.add_format({"num_format": "@", "font_color": "#9C0006", "bg_color": "#FFC7CE"})
        self.warning = self._book.add_format({"num_format": "@", "font_color": "#9C5700", "bg_color": "#FFEB9C"})
        # Fills a diff shows rows and cells in: (text format, formula-safe text format) per fill.
        self.fills = {name: self._fill_formats(color) for name, color in FILLS.items()}

    def _fill_formats(self, color: str) -> tuple[Any, Any]:
        plain = {"num_format": "@", "bg_color": color}
        return self._book.add_format(plain), self._book.add_format({**plain, "quote_prefix": True})

    def add_sheet(self, name: str, headers: Sequence[str], widths: Sequence[int] | None = None) -> "SafeSheet":
        return SafeSheet(self, self._book.add_worksheet(name[:31]), headers, widths)

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> "SafeWorkbook":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class SafeSheet:
    def __init__(self, book: SafeWorkbook, sheet: Worksheet, headers: Sequence[str], widths: Sequence[int] | None):
        self.book = book
        self.sheet = sheet
        self.columns = len(headers)
        self.next_row = 1
        for index, header in enumerate(headers):
            self._cell(0, index, header, book.header)
            width = widths[index] if widths else max(10, min(MAX_COLUMN_WIDTH, len(header) + 4))
            sheet.set_column(index, index, width)
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

    def finish(self) -> None:
        if self.columns:
            self.sheet.autofilter(0, 0, max(self.next_row - 1, 0), self.columns - 1)

    def _cell(self, row: int, column: int, text: str, cell_format: Any = None) -> None:
        if is_formula_like(text):
            self.sheet.write_string(row, column, text, self.book.quoted)
        else:
            self.sheet.write_string(row, column, text, cell_format or self.book.text)


def write_template(
    path: Path, columns: Sequence[tuple[str, str, tuple[str, ...], bool]], example: Sequence[str]
) -> None:
    """A one-sheet import template: (header, note, allowed values, text column) per column, then an example row.

    Notes on the header cells say what each column takes; columns with a fixed set of values get a dropdown; phones,
    zips and ids are text columns so Excel keeps their leading zeros.
    """
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("Customers")
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = book.add_format({"num_format": "@"})
        for index, (title, note, allowed, is_text) in enumerate(columns):
            sheet.write_string(0, index, title, header)
            sheet.set_column(index, index, max(12, min(MAX_COLUMN_WIDTH, len(title) + 4)), text if is_text else None)
            if note:
                sheet.write_comment(0, index, note, {"x_scale": 2, "y_scale": 1.5})
            if allowed:
                sheet.data_validation(
                    1,
                    index,
                    10_000,
                    index,
                    {"validate": "list", "source": list(allowed), "ignore_blank": True, "error_type": "warning"},
                )
            if index < len(example) and example[index]:
                sheet.write_string(1, index, example[index], text if is_text else None)
        sheet.freeze_panes(1, 0)
