"""The import and export lifecycles are declared once (models) and the store refuses a step they do not list,
before it reaches DynamoDB."""

from datetime import UTC, datetime

import pytest

from customer_bulk.dal.jobs import JobStore
from customer_bulk.models.export import EXPORT_LIFECYCLE, CreateExportRequest, ExportJob, ExportStatus
from customer_bulk.models.job import IMPORT_LIFECYCLE, JobStatus

NOW = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> JobStore:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    return JobStore("jobs")


def test_no_import_step_leaves_a_final_state_except_an_undo(store: JobStore) -> None:
    final = {status for status in JobStatus if status.is_final}
    leaving_a_final_state = {(source, to) for to, sources in IMPORT_LIFECYCLE.items() for source in sources & final}
    assert leaving_a_final_state == {
        (JobStatus.COMPLETED, JobStatus.ROLLING_BACK),
        (JobStatus.FAILED, JobStatus.ROLLING_BACK),
        (JobStatus.ROLLED_BACK, JobStatus.ROLLING_BACK),
    }
    with pytest.raises(ValueError, match=r"no step from \['cancelled'\] to processing"):
        store.transition("t1", "01M8000000000000000000000A", JobStatus.PROCESSING, (JobStatus.CANCELLED,), NOW)
    with pytest.raises(ValueError, match="to awaiting_upload"):  # nothing goes back to the start
        store.transition("t1", "01M8000000000000000000000A", JobStatus.AWAITING_UPLOAD, (JobStatus.SPLITTING,), NOW)


def test_an_export_step_outside_its_lifecycle_is_refused(store: JobStore) -> None:
    assert EXPORT_LIFECYCLE[ExportStatus.COMPLETED] == {ExportStatus.WRITING}
    job = ExportJob(
        tenant_id="t1",
        export_id="01M8000000000000000000000Z",
        requested_by="a@b.c",
        api_url="https://api.example",
        request=CreateExportRequest(),
        columns=["email"],
        status=ExportStatus.COMPLETED,
        created_at=NOW,
        updated_at=NOW,
    )
    with pytest.raises(ValueError, match="no step from planning to completed"):
        store.save_export(job, was=ExportStatus.PLANNING)
