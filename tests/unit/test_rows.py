"""A page of a phase's rows starts at the chunk holding its cursor: no earlier chunk is read, even when the reader
skipped blank rows and the row numbers run ahead of the data rows."""

from datetime import UTC, datetime
from typing import Any

import pytest

from customer_bulk.errors import ConflictError
from customer_bulk.logic.rows import import_rows
from customer_bulk.models.api import RowPhase
from customer_bulk.models.decisions import ChunkDecision, RowOutcome
from customer_bulk.models.job import ChunkProgress, ImportJob, JobStatus, Phase
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores
from tests.conftest import fake_stores

JOB_ID = "01J00000000000000000000000"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
# Rows 2..31 in chunks of 10, with 5 blank rows skipped after row 11: chunk 1 starts at row 17, not 12.
NUMBERS = [*range(2, 12), *range(17, 37)]


class _Files:
    def __init__(self, job: ImportJob) -> None:
        self.paths = JobPaths(job.tenant_id, job.job_id)
        self.read: list[str] = []
        self.chunks = {
            self.paths.chunk(n): [{"r": r, "v": [f"c{r}@shop.vn"]} for r in NUMBERS[n * 10 : n * 10 + 10]]
            for n in range(3)
        }

    def read_json_lines(self, key: str) -> list[dict[str, Any]]:
        self.read.append(key)
        return self.chunks[key]

    def get_json(self, key: str) -> dict[str, Any] | None:
        number = int(key.rsplit("/", 1)[1].split(".")[0])
        rows = [record["r"] for record in self.chunks[self.paths.chunk(number)]]
        return ChunkDecision([RowOutcome(r, "created") for r in rows], [], [], {}).to_json()


class _Jobs:
    def __init__(self, job: ImportJob) -> None:
        self.job = job

    def get(self, tenant_id: str, job_id: str) -> ImportJob | None:
        return self.job if (tenant_id, job_id) == (self.job.tenant_id, self.job.job_id) else None


def _job(**changes: Any) -> ImportJob:
    job = ImportJob(
        tenant_id="acme",
        job_id=JOB_ID,
        requested_by="a@shop.vn",
        api_url="https://api",
        file_name="f.csv",
        upload_key="uploads/acme/x/f.csv",
        status=JobStatus.PREVIEWED,
        phase=Phase.PREVIEW,
        created_at=NOW,
        updated_at=NOW,
        rows_total=len(NUMBERS),
        chunk_rows=10,
        chunks_total=3,
        header_row=1,
        headers=["Email"],
        fields=["email"],
        progress={Phase.PREVIEW: ChunkProgress(done={0, 1, 2})},
    )
    return job.model_copy(update=changes)


def _stores(job: ImportJob) -> tuple[Stores, _Files]:
    files = _Files(job)
    return fake_stores(jobs=_Jobs(job), files=files), files


@pytest.mark.parametrize(
    ("cursor", "holding"),
    [(11, 0), (17, 1), (20, 1), (25, 1), (27, 2), (30, 2)],  # 25: its estimate (chunk 2) starts later: one back
)
def test_a_page_reads_no_chunk_before_the_one_holding_its_cursor(cursor: int, holding: int) -> None:
    stores, files = _stores(_job())

    page = import_rows(stores, "acme", JOB_ID, None, cursor, 3)

    following = [n for n in NUMBERS if n >= cursor]
    assert [row.row for row in page.rows] == following[:3]
    assert page.phase is RowPhase.PREVIEW and page.next_cursor == following[3]
    assert min(int(key.rsplit("/", 1)[1].split(".")[0]) for key in files.read) == holding


def test_the_last_page_has_no_next_cursor_and_a_phase_without_decisions_is_refused() -> None:
    stores, _ = _stores(_job())
    assert import_rows(stores, "acme", JOB_ID, RowPhase.PREVIEW, 34, 10).next_cursor is None
    with pytest.raises(ConflictError):
        import_rows(stores, "acme", JOB_ID, RowPhase.APPLY, None, 10)
