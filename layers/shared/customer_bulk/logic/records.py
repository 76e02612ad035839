"""A chunk's decision in one phase, recorded in S3 before anything is written and read back from there.

The record is what makes a chunk's effect exactly-once (docs/adr/0003): a redelivery after a crash replays it
instead of deciding again against half-written data. An applied chunk's record also holds the before-images an
undo restores (docs/adr/0007).
"""

from collections.abc import Callable

from customer_bulk.models.decisions import ChunkDecision
from customer_bulk.models.job import ImportJob, Phase
from customer_bulk.observability import logger
from customer_bulk.paths import JobPaths
from customer_bulk.ports import Stores


def recorded(stores: Stores, job: ImportJob, chunk: int, phase: Phase) -> ChunkDecision | None:
    """The chunk's recorded decision in the phase's latest run, or None when it was never decided."""
    data = stores.files.get_json(_key(job, chunk, phase))
    return ChunkDecision.from_json(data) if data is not None else None


def decided_once(
    stores: Stores,
    job: ImportJob,
    chunk: int,
    phase: Phase,
    decide: Callable[[], ChunkDecision],
    tags: dict[str, str] | None = None,
) -> ChunkDecision:
    """The recorded decision when there is one, else ``decide()``'s, recorded (with ``tags``) before it is used."""
    decision = recorded(stores, job, chunk, phase)
    if decision is not None:
        logger.info("Replaying a recorded chunk decision", extra={"job_id": job.job_id, "chunk": chunk})
        return decision
    decision = decide()
    stores.files.put_json(_key(job, chunk, phase), decision.to_json(), tags)
    return decision


def record_again(
    stores: Stores, job: ImportJob, chunk: int, phase: Phase, decision: ChunkDecision, tags: dict[str, str] | None
) -> None:
    """Replace the chunk's record (rows decided again after a conflict), before their writes are made."""
    stores.files.put_json(_key(job, chunk, phase), decision.to_json(), tags)


def _key(job: ImportJob, chunk: int, phase: Phase) -> str:
    return JobPaths(job.tenant_id, job.job_id).decision(chunk, phase, job.run_of(phase))
