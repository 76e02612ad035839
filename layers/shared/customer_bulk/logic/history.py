"""The history a web client lists: the tenant's imports and exports, newest first, a page at a time.

A page is read straight from the jobs table (``JobStore.import_history`` / ``export_history``: the tenant's
partition, backwards in id order, which is creation order); its cursor is the id of the last job it read, so a
client resumes exactly after it and can never reach another tenant's jobs (the tenant comes from the token)."""

from collections.abc import Collection

from customer_bulk.models.api import (
    HISTORY_LIMIT,
    ExportHistory,
    ExportHistoryEntry,
    ImportHistory,
    ImportHistoryEntry,
)
from customer_bulk.models.export import ExportStatus
from customer_bulk.models.job import ImportType, JobStatus
from customer_bulk.ports import Stores


def import_history(
    stores: Stores,
    tenant_id: str,
    limit: int = HISTORY_LIMIT,
    cursor: str | None = None,
    statuses: Collection[JobStatus] = (),
    types: Collection[ImportType] = (),
) -> ImportHistory:
    """``statuses`` / ``types``: only imports in one of them (none: all)."""
    jobs, next_cursor = stores.jobs.import_history(
        tenant_id, limit, cursor, [status.value for status in statuses], [kind.value for kind in types]
    )
    return ImportHistory(items=[ImportHistoryEntry.of(job) for job in jobs], next_cursor=next_cursor)


def export_history(
    stores: Stores,
    tenant_id: str,
    limit: int = HISTORY_LIMIT,
    cursor: str | None = None,
    statuses: Collection[ExportStatus] = (),
) -> ExportHistory:
    jobs, next_cursor = stores.jobs.export_history(tenant_id, limit, cursor, [status.value for status in statuses])
    return ExportHistory(items=[ExportHistoryEntry.of(job) for job in jobs], next_cursor=next_cursor)
