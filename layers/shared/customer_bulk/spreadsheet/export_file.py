"""Writing customers to an export file, row by row in constant memory (through the package's one .xlsx and one CSV
writer, ``spreadsheet.writer``).

Cells are typed for a person who opens the file: dates are dates, versions numbers, consent yes/no, tags a list,
and everything else text (so phones, ids and zips keep their leading zeros and "+"). Formula-like text is
neutralised as the writers do it.
"""

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from customer_bulk.i18n import _
from customer_bulk.normalize import yes_no
from customer_bulk.schema import FieldSpec, Kind
from customer_bulk.spreadsheet.writer import MAX_COLUMN_WIDTH, CellWriter, ColumnKind, SafeCsv, SafeWorkbook

_WIDTHS = {Kind.EMAIL: 30, Kind.PHONE: 16, Kind.ID: 28, Kind.DATE: 12, Kind.YES_NO: 10, Kind.TAGS: 24, Kind.VERSION: 9}


def _text_of(value: Any) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def _csv_value(value: Any) -> Any:
    """Numbers stay numbers; booleans and lists become the text the xlsx shows (the writer neutralises the rest)."""
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    return _text_of(value)


def _column_kind(spec: FieldSpec) -> ColumnKind:
    if spec.kind is Kind.DATE:
        return "date"
    return "number" if spec.kind in (Kind.VERSION, Kind.NUMBER) else "text"


class CustomerFileWriter:
    def __init__(self, path: Path, file_format: str, columns: Sequence[FieldSpec]) -> None:
        self.columns = list(columns)
        self.names = [spec.name for spec in self.columns]
        self.rows = 0
        headers = [spec.label for spec in self.columns]
        self._csv_stream: TextIO | None = None
        if file_format == "csv":
            self._csv_stream = path.open("w", encoding="utf-8", newline="")
            self._csv = SafeCsv(self._csv_stream)
            self._csv.write_row(headers)
            return
        kinds = [_column_kind(spec) for spec in self.columns]
        widths = [
            _WIDTHS.get(spec.kind, max(12, min(MAX_COLUMN_WIDTH, len(label) + 4)))
            for spec, label in zip(columns, headers, strict=True)
        ]
        self._book = SafeWorkbook(path)
        self._sheet = self._book.add_sheet(_("Customers"), headers, widths, kinds)
        self._cells: list[tuple[int, str, CellWriter]] = [
            (index, spec.name, self._cell_writer(kind))
            for index, (spec, kind) in enumerate(zip(self.columns, kinds, strict=True))
        ]

    def _cell_writer(self, kind: ColumnKind) -> CellWriter:
        write = self._sheet.cell_writer(kind)
        if kind != "text":
            return write
        return lambda row, col, value: write(row, col, value if value.__class__ is str else _text_of(value))

    def write(self, customer: dict[str, Any]) -> None:
        self.rows += 1
        if self._csv_stream is not None:
            self._csv.write_row([_csv_value(customer.get(name)) for name in self.names])
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
        self._sheet.finish(rows=max(self.rows, 1))
        self._book.close()

    def __enter__(self) -> "CustomerFileWriter":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
