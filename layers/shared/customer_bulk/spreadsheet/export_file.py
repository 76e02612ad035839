"""Writing customers to an export file, row by row in constant memory.

Cells are typed for a person who opens the file: dates are dates, versions numbers, consent yes/no, tags a list,
and everything else text (so phones, ids and zips keep their leading zeros and "+"). Formula-like text is
neutralised as OWASP advises: an .xlsx keeps it as text with Excel's quote-prefix style, a CSV gets a leading
apostrophe (a re-import drops it again). CSV carries a UTF-8 BOM so Excel shows Vietnamese correctly.
"""

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import xlsxwriter

from customer_bulk.normalize import is_formula_like, yes_no
from customer_bulk.schema import FieldSpec, Kind
from customer_bulk.spreadsheet.writer import MAX_COLUMN_WIDTH

_WIDTHS = {Kind.EMAIL: 30, Kind.PHONE: 16, Kind.ID: 28, Kind.DATE: 12, Kind.YES_NO: 10, Kind.TAGS: 24, Kind.VERSION: 9}


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


_RISKY_FIRST = frozenset("=+-@\t\r")


class CustomerFileWriter:
    def __init__(self, path: Path, file_format: str, columns: Sequence[FieldSpec]) -> None:
        self.columns = list(columns)
        self.names = [spec.name for spec in self.columns]
        self.rows = 0
        self._csv_stream: TextIO | None = None
        if file_format == "csv":
            self._csv_stream = path.open("w", encoding="utf-8-sig", newline="")
            self._csv = csv.writer(self._csv_stream)
            self._csv.writerow([spec.header for spec in self.columns])
            return
        self._book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
        self._sheet = self._book.add_worksheet("Customers")
        header = self._book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        self._text = self._book.add_format({"num_format": "@"})
        self._quoted = self._book.add_format({"num_format": "@", "quote_prefix": True})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        for index, spec in enumerate(self.columns):
            width = _WIDTHS.get(spec.kind, max(12, min(MAX_COLUMN_WIDTH, len(spec.header) + 4)))
            self._sheet.set_column(index, index, width, self._date if spec.kind is Kind.DATE else self._text)
            self._sheet.write_string(0, index, spec.header, header)
        self._sheet.freeze_panes(1, 0)
        self._cells: list[tuple[int, str, Callable[[int, int, Any], None]]] = [
            (index, spec.name, self._cell_writer(spec)) for index, spec in enumerate(self.columns)
        ]

    def write(self, customer: dict[str, Any]) -> None:
        self.rows += 1
        if self._csv_stream is not None:
            self._csv.writerow([self._csv_value(customer.get(name)) for name in self.names])
            return
        row = self.rows
        for index, name, write_cell in self._cells:
            value = customer.get(name)
            if value is not None and value != "" and value != []:
                write_cell(row, index, value)

    def close(self) -> None:
        if self._csv_stream is not None:
            self._csv_stream.close()
            return
        self._sheet.autofilter(0, 0, max(self.rows, 1), len(self.columns) - 1)
        self._book.close()

    def __enter__(self) -> "CustomerFileWriter":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _cell_writer(self, spec: FieldSpec) -> Callable[[int, int, Any], None]:
        sheet = self._sheet
        if spec.kind is Kind.DATE:
            return lambda row, col, value: sheet.write_datetime(row, col, dt.date.fromisoformat(value), self._date)
        if spec.kind is Kind.VERSION or (spec.kind is Kind.NUMBER):
            return lambda row, col, value: sheet.write_number(row, col, value)
        # Text cells take the column's text format ("@", set above); only formula-like text needs its own style.
        write_string, quoted = sheet.write_string, self._quoted

        def write_text(row: int, col: int, value: Any) -> None:
            content = value if value.__class__ is str else _text_of(value)
            if content[0] in _RISKY_FIRST and is_formula_like(content):  # the cheap test first: most text is safe
                write_string(row, col, content, quoted)
            else:
                write_string(row, col, content)

        return write_text

    @staticmethod
    def _csv_value(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        content = _text_of(value)
        return "'" + content if is_formula_like(content) else content
