"""pydantic v2 models: the shapes that cross a boundary (API, queue, state machine, storage)."""

from customer_bulk.models.job import (
    ChunkMessage,
    Counts,
    ImportJob,
    ImportOptions,
    JobStatus,
    MatchKey,
)
from customer_bulk.models.tenant import TenantSettings

__all__ = [
    "ChunkMessage",
    "Counts",
    "ImportJob",
    "ImportOptions",
    "JobStatus",
    "MatchKey",
    "TenantSettings",
]
