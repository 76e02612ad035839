"""A phase's rows beside what came of them, read back chunk by chunk for the reports (one chunk in memory)."""

from collections.abc import Iterator
from typing import Any

from customer_bulk.i18n import N_, _
from customer_bulk.logic.records import recorded
from customer_bulk.models.decisions import RowOutcome, Status
from customer_bulk.models.job import ImportJob, Phase
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores

NOT_PROCESSED = N_("Not processed: this part of the file failed repeatedly; import these rows again")
STALLED = N_("Not processed: the import stopped making progress before reaching this row; import these rows again")


def upload_headers(job: ImportJob) -> list[str]:
    """The file's headers as uploaded, a blank one named by its position (the reports' columns)."""
    return [header or _("Column {number}", number=str(index + 1)) for index, header in enumerate(job.headers)]


def rows_with_outcomes(
    stores: Stores,
    job: ImportJob,
    stalled: set[int],
    phase: Phase,
    first_chunk: int = 0,
    first_records: list[dict[str, Any]] | None = None,
) -> Iterator[tuple[int, list[str], RowOutcome]]:
    """(row number, cells as uploaded, outcome) of every row of the file, in file order, from ``first_chunk`` on
    (whose records, when the caller has already read them, are ``first_records``; no earlier chunk is read)."""
    paths = JobPaths(job.tenant_id, job.job_id)
    files = stores.files
    failed = job.chunks(phase).failed
    for number in range(first_chunk, job.chunks_total):
        if number == first_chunk and first_records is not None:
            records = first_records
        else:
            records = files.read_json_lines(paths.chunk(number))
        if number in failed or number in stalled:
            reason = _(NOT_PROCESSED if number in failed else STALLED)
            for record in records:
                yield record["r"], record["v"], RowOutcome(record["r"], Status.NOT_PROCESSED, errors=[reason])
            continue
        decision = recorded(stores, job, number, phase)
        outcomes = {outcome.row: outcome for outcome in decision.outcomes} if decision else {}
        for record in records:
            outcome = outcomes.get(record["r"]) or RowOutcome(record["r"], Status.NOT_PROCESSED, errors=[_(STALLED)])
            yield record["r"], record["v"], outcome
