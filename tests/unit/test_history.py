"""What a history entry says of a job (the paging itself runs on the local stack: tests/integration/test_history.py)."""

from datetime import UTC, datetime, timedelta

from customer_bulk.dal.jobs import _History
from customer_bulk.models.api import ExportHistoryEntry, ImportHistoryEntry
from customer_bulk.models.export import CreateExportRequest, ExportJob, ExportPart, ExportStatus
from customer_bulk.models.job import Counts, ImportJob, ImportOptions, JobStatus, RollbackCounts

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
JOB_ID = "01JNB2X7Q4Z5Y6W7V8T9S0R1PQ"


def _import(**fields: object) -> ImportJob:
    base: dict[str, object] = {
        "tenant_id": "acme",
        "job_id": JOB_ID,
        "requested_by": "admin@shop.example",
        "api_url": "https://api.example",
        "file_name": "customers.xlsx",
        "upload_key": "uploads/acme/x/customers.xlsx",
        "created_at": NOW,
        "updated_at": NOW,
    }
    return ImportJob.model_validate({**base, **fields})


def test_an_applied_import_lists_its_counts_without_preview_or_rollback() -> None:
    job = _import(
        status=JobStatus.COMPLETED,
        finished_at=NOW + timedelta(minutes=2),
        rows_total=10,
        counts=Counts(created=6, updated=2, unchanged=1, invalid=1, warnings=3, flow_events=8),
        language="vi",
    )
    entry = ImportHistoryEntry.of(job)
    assert (entry.created, entry.updated, entry.unchanged, entry.invalid, entry.warnings) == (6, 2, 1, 1, 3)
    assert entry.rows_total == 10 and entry.percent == 100 and entry.language == "vi"
    assert entry.requested_by == "admin@shop.example" and entry.finished_at == NOW + timedelta(minutes=2)
    assert entry.preview is None and entry.rollback is None
    assert "flow_events" not in entry.model_dump()


def test_a_previewed_and_a_rolled_back_import_carry_their_blocks() -> None:
    previewed = ImportHistoryEntry.of(
        _import(
            status=JobStatus.PREVIEWED,
            options=ImportOptions(preview=True),
            preview_counts=Counts(created=3, updated=4, stale=1),
            previewed_at=NOW,
            preview_expires_at=NOW + timedelta(hours=24),
        )
    )
    assert previewed.preview is not None
    assert (previewed.preview.new, previewed.preview.changed, previewed.preview.stale) == (3, 4, 1)
    assert previewed.preview.expires_at == NOW + timedelta(hours=24) and previewed.created == 0

    rolled_back = ImportHistoryEntry.of(
        _import(
            status=JobStatus.ROLLED_BACK,
            counts=Counts(created=5),
            rollback_counts=RollbackCounts(restored=1, removed=5, left_alone=2),
            rollback_requested_at=NOW,
            rollback_requested_by="boss@shop.example",
            rolled_back_at=NOW + timedelta(minutes=1),
        )
    )
    assert rolled_back.rollback is not None and rolled_back.preview is None
    assert (rolled_back.rollback.restored, rolled_back.rollback.removed, rolled_back.rollback.left_alone) == (1, 5, 2)
    assert rolled_back.rollback.requested_by == "boss@shop.example"


def test_an_export_lists_its_files_once_written() -> None:
    job = ExportJob(
        tenant_id="acme",
        export_id=JOB_ID,
        requested_by="admin@shop.example",
        api_url="https://api.example",
        request=CreateExportRequest.model_validate({"format": "csv", "scope": {"kind": "filter", "filter": {}}}),
        columns=["customer_id", "version"],
        status=ExportStatus.WRITING,
        rows=45_000,
        parts=[
            ExportPart(part=0, rows=30_000, first_row=1, key="k0", file_name="customers-part-1-of-2.csv"),
            ExportPart(part=1, rows=15_000, first_row=30_001),  # not written yet
        ],
        parts_done={0},
        created_at=NOW,
        updated_at=NOW,
    )
    entry = ExportHistoryEntry.of(job)
    assert (entry.format, entry.scope, entry.rows, entry.percent) == ("csv", "filter", 45_000, 50)
    assert entry.file_count == 1 and entry.file_name == "customers-part-1-of-2.csv"


def test_history_filters_name_every_attribute_and_value_by_placeholder() -> None:
    assert _History.filters({"status": (), "options.type": []}) == {}
    built = _History.filters({"status": ["failed", "completed", "failed"], "options.type": ["customers"]})
    assert built["FilterExpression"] == "#h0_0 IN (:h0_0, :h0_1) AND #h1_0.#h1_1 IN (:h1_0)"
    assert built["ExpressionAttributeNames"] == {"#h0_0": "status", "#h1_0": "options", "#h1_1": "type"}
    assert built["ExpressionAttributeValues"] == {":h0_0": "completed", ":h0_1": "failed", ":h1_0": "customers"}
    assert _History.CURSOR.fullmatch(JOB_ID) and not _History.CURSOR.fullmatch("JOB#" + JOB_ID)
