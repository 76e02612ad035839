"""The diff workbook of a preview (Tix's confirmation screen, as a file): every row of the upload as it came, new
rows green, changed cells yellow with the stored value in a comment, rows that would not be applied red with why.
"""

import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from customer_bulk.i18n import N_, _, moment, zone_name_of_region
from customer_bulk.logic.notice import preview_lines
from customer_bulk.logic.outcomes import rows_with_outcomes, upload_headers
from customer_bulk.models.decisions import RowOutcome, Status
from customer_bulk.models.job import Counts, ImportJob, Phase
from customer_bulk.normalize import yes_no
from customer_bulk.ports import Stores
from customer_bulk.schema import Schema, schema_for
from customer_bulk.spreadsheet.writer import XLSX, SafeWorkbook

STATUS_LABELS = {
    Status.CREATED: N_("New"),
    Status.UPDATED: N_("Changed"),
    Status.UNCHANGED: N_("Unchanged"),
    Status.SKIPPED: N_("Skipped (exists)"),
    Status.STALE: N_("Changed since export"),
    Status.INVALID: N_("Invalid"),
    Status.NOT_PROCESSED: N_("Not processed"),
}
ROW_FILLS = {Status.CREATED: "new", Status.INVALID: "invalid", Status.NOT_PROCESSED: "invalid", Status.STALE: "invalid"}
# A changed field shows on the column it came from; derived fields on the column they were derived from.
_DERIVED_FROM = {
    "first_name": ("full_name",),
    "last_name": ("full_name",),
    "country": ("country_code",),
    "country_code": ("country",),
}
FIXED_COLUMNS = (N_("Row"), N_("Status"))


def write_diff_report(
    stores: Stores, job: ImportJob, key: str, stalled: set[int], counts: Counts, expires_at: datetime
) -> None:
    headers = upload_headers(job)
    schema = schema_for(job.settings, job.options.type)
    columns = _columns_of_fields(job.fields)
    statuses = {status: _(label) for status, label in STATUS_LABELS.items()}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "diff.xlsx"
        with SafeWorkbook(path) as book:
            fixed = [_(name) for name in FIXED_COLUMNS]
            sheet = book.add_sheet(_("Changes"), [*fixed, *headers, _("Details")])
            for row, cells, outcome in rows_with_outcomes(stores, job, stalled, Phase.PREVIEW):
                padded: list[Any] = [*cells, *[""] * (len(headers) - len(cells))][: len(headers)]
                fill = ROW_FILLS.get(outcome.status)
                fills: list[str | None] = [fill] * (len(FIXED_COLUMNS) + len(headers) + 1)
                comments: dict[int, str] = {}
                if outcome.status == Status.UPDATED:
                    fills[1] = "changed"
                    for name, (old, _new) in outcome.changes.items():
                        for column in columns.get(name, ()):
                            position = len(FIXED_COLUMNS) + column
                            fills[position] = "changed"
                            comments[position] = _was(schema, name, old, comments.get(position))
                details = _details(outcome, schema)
                sheet.write_filled_row([row, statuses[outcome.status], *padded, details], fills, comments)
            sheet.finish()
            _summary(
                book,
                job.rows_total,
                counts,
                moment(expires_at, zone_name_of_region(job.settings.default_region)),
            )
        stores.files.put_file(key, path, XLSX)


def _columns_of_fields(fields: Sequence[str | None]) -> dict[str, list[int]]:
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(fields):
        if name:
            columns.setdefault(name, []).append(index)
    for name, sources in _DERIVED_FROM.items():
        if name not in columns:
            found = [index for source in sources for index in columns.get(source, [])]
            if found:
                columns[name] = found
    return columns


def _was(schema: Schema, name: str, old: Any, earlier: str | None) -> str:
    line = _("{field} was: {value}", field=_label(schema, name), value=_shown(old))
    return f"{earlier}\n{line}" if earlier else line


def _details(outcome: RowOutcome, schema: Schema) -> str:
    parts: list[str] = []
    if outcome.status == Status.UPDATED:
        parts += [
            f"{_label(schema, name)}: {_shown(old)} → {_shown(new)}" for name, (old, new) in outcome.changes.items()
        ]
    parts += outcome.errors
    parts += outcome.warnings
    return "; ".join(parts)


def _label(schema: Schema, name: str) -> str:
    return schema[name].label if name in schema else name.replace("_", " ").capitalize()


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return _("(empty)")
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return ", ".join(str(item.get("amount", item)) if isinstance(item, dict) else str(item) for item in value)
    return str(value)


def _summary(book: SafeWorkbook, rows_total: int, counts: Counts, deadline: str) -> None:
    sheet = book.add_sheet(_("Summary"), ["", _("Rows")], widths=(44, 12))
    for label, value in preview_lines(counts, rows_total):
        sheet.write_row([label, value])
    sheet.write_row([_("Nothing is written until the import is confirmed, before {deadline}.", deadline=deadline)])
