"""A phase's rows as a web client shows them (GET /imports/{id}/rows): each row of the file as uploaded beside what
its preview or apply decided, a page at a time, in file order.

The cursor is the number of the next row to return. The page starts at the chunk that holds it: chunks are
``job.chunk_rows`` data rows each, in file order, so the row numbered N is at most the (N - header_row - 1)th data row
(fewer when the reader skipped blank rows) and its chunk at most that row's; from there the page steps back only
while a chunk starts after N. No chunk before the one holding the cursor is read.
"""

from itertools import islice
from typing import Any

from customer_bulk.errors import ConflictError
from customer_bulk.i18n import _, speaking
from customer_bulk.logic.job_actions import require_import
from customer_bulk.logic.outcomes import rows_with_outcomes, upload_headers
from customer_bulk.models.api import ImportRows, RowPhase, RowView
from customer_bulk.models.job import ImportJob, Phase
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores


def import_rows(
    stores: Stores, tenant_id: str, job_id: str, phase: RowPhase | None, cursor: int | None, limit: int
) -> ImportRows:
    """A page of ``limit`` rows of the phase (default: the latest one with decisions), from row ``cursor`` on."""
    job = require_import(stores, tenant_id, job_id)
    chosen = _phase(job, phase)
    with speaking(job.language):  # as the recorded errors and warnings speak
        first_chunk, records = _first_chunk(stores, job, cursor)
        if first_chunk is None:
            return _page(job, chosen, [], None)
        rows = rows_with_outcomes(stores, job, set(), Phase(chosen.value), first_chunk, records)
        wanted = ((row, cells, outcome) for row, cells, outcome in rows if cursor is None or row >= cursor)
        taken = list(islice(wanted, limit + 1))
        views = [
            RowView(
                row=row,
                cells=_padded(cells, len(job.headers)),
                status=outcome.status,
                changes=outcome.changes,
                errors=outcome.errors,
                warnings=outcome.warnings,
            )
            for row, cells, outcome in taken[:limit]
        ]
        return _page(job, chosen, views, taken[limit][0] if len(taken) > limit else None)


def _phase(job: ImportJob, asked: RowPhase | None) -> RowPhase:
    """The phase asked for, once it has decided rows; by default the latest that has (an apply, else a preview)."""
    decided = [phase for phase in (RowPhase.APPLY, RowPhase.PREVIEW) if job.chunks(Phase(phase.value)).counted]
    if decided and (asked is None or asked in decided):
        return asked or decided[0]
    # Not yet (being read, waiting for its mapping review, its first chunks being decided) or never (an apply asked
    # of a preview): the import's status says which.
    raise ConflictError(_("The import is not in a state that allows this ({status}).", status=job.status.value))


def _first_chunk(stores: Stores, job: ImportJob, cursor: int | None) -> tuple[int | None, list[dict[str, Any]] | None]:
    """The chunk holding row ``cursor`` (and its records, read on the way), or None past the end of the file."""
    if job.chunks_total <= 0:
        return None, None
    if cursor is None or job.chunk_rows <= 0:
        return 0, None
    paths = JobPaths(job.tenant_id, job.job_id)
    number = max(0, min(job.chunks_total - 1, (cursor - job.header_row - 1) // job.chunk_rows))
    records = stores.files.read_json_lines(paths.chunk(number))
    while number > 0 and records and records[0]["r"] > cursor:
        number -= 1
        records = stores.files.read_json_lines(paths.chunk(number))
    return number, records


def _padded(cells: list[str], width: int) -> list[str]:
    """The row's cells, one per header (the chunk file leaves out trailing blanks)."""
    values = ["" if cell is None else str(cell) for cell in cells]
    return values + [""] * (width - len(values))


def _page(job: ImportJob, phase: RowPhase, rows: list[RowView], next_cursor: int | None) -> ImportRows:
    return ImportRows(
        phase=phase, headers=upload_headers(job), fields=list(job.fields), rows=rows, next_cursor=next_cursor
    )
