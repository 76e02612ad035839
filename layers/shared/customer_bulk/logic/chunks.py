"""Applying one chunk of a file to the customers, with exactly-once effect on top of at-least-once delivery.

1. A chunk already counted on the job is acknowledged and nothing else happens (a late duplicate must not replay
   old writes over newer ones).
2. The chunk's decision (outcomes + exact writes + before-images) is computed once and recorded in S3 *before*
   any write; a redelivery after a crash replays that record instead of deciding again against half-written data.
3. The writes are idempotent puts and deletes of final images.
4. The chunk is counted with a conditional ADD on the job, so counts cannot double; the call that counts the last
   chunk starts the job's state machine (named after the job, so a second start is refused).

The chunk queue is FIFO with one message group per tenant: a tenant's chunks never run concurrently, which is what
makes reading then batch-writing safe without transactions (docs/adr/0003).
"""

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.dal import customer_store, file_store, flow_bus, job_store
from customer_bulk.logic.matching import (
    POINTER,
    ChunkDecision,
    CustomerView,
    DecisionContext,
    Status,
    decide_chunk,
    row_addresses,
)
from customer_bulk.logic.report import start_report
from customer_bulk.models.job import ChunkMessage, Counts, ImportJob, JobStatus, MatchKey
from customer_bulk.observability import logger, metrics
from customer_bulk.paths import JobPaths
from customer_bulk.validation import RowContext, validate_row


def apply_chunk(message: ChunkMessage, now: datetime) -> None:
    job = job_store().get(message.tenant_id, message.job_id)
    if job is None or job.status is not JobStatus.PROCESSING or message.chunk in job.counted_chunks:
        logger.info("Chunk already handled", extra={"job_id": message.job_id, "chunk": message.chunk})
        return
    paths = JobPaths(message.tenant_id, message.job_id)
    recorded = file_store().get_json(paths.decision(message.chunk))
    if recorded is None:
        decision = decide(job, message, now)
        file_store().put_json(paths.decision(message.chunk), decision.to_json())
    else:
        logger.info("Replaying a recorded chunk decision", extra={"job_id": job.job_id, "chunk": message.chunk})
        decision = ChunkDecision.from_json(recorded)
    customer_store().write(decision.puts, decision.deletes)
    counts = decision.counts
    if job.options.trigger_flows:
        counts.flow_events = flow_bus().publish(flow_events(job, decision))
    _count(job, message.chunk, counts, now, failed=False)
    for name, value in (("Created", counts.created), ("Updated", counts.updated), ("Invalid", counts.invalid)):
        metrics.add_metric(name=f"Rows{name}", unit=MetricUnit.Count, value=value)


def decide(job: ImportJob, message: ChunkMessage, now: datetime) -> ChunkDecision:
    records = file_store().read_json_lines(message.key)
    context = RowContext.of(job)
    rows = [validate_row(r["r"], r["v"], context, r.get("dup"), r.get("shared")) for r in records]
    store = customer_store()
    addresses = row_addresses(job.tenant_id, rows)
    found = store.get_many(addresses)
    homes = {item["home"] for item in found.values() if item["kind"] == POINTER}
    if job.options.match_key is MatchKey.CUSTOMER_ID:
        ids = {ref for row in rows if row.is_valid and (ref := row.id_to_match)}
        homes |= set(store.homes_of(job.tenant_id, ids).values())
    if homes - found.keys():
        found.update(store.get_many(homes - found.keys()))
    decision_context = DecisionContext(
        tenant_id=job.tenant_id,
        job_id=job.job_id,
        options=job.options,
        now=now.isoformat(),
        column_names={name: context.column_name(name) for name in ("email", "phone", "customer_id")},
    )
    return decide_chunk(rows, CustomerView(found, addresses), decision_context)


def flow_events(job: ImportJob, decision: ChunkDecision) -> list[tuple[str, dict[str, Any]]]:
    """customer.created / customer.updated for customers this chunk really changed; ``import_job_id`` lets a flow
    ignore (or pick) changes made by imports, and ``event_id`` lets it drop the duplicate a crash may cause."""
    events = []
    for outcome in decision.outcomes:
        if outcome.status in (Status.CREATED, Status.UPDATED):
            detail = {
                "event_id": f"{job.job_id}:{outcome.row}",
                "tenant_id": job.tenant_id,
                "customer_id": outcome.customer_id,
                "changed_fields": sorted(outcome.changes),
                "import_job_id": job.job_id,
            }
            events.append((f"customer.{outcome.status}", detail))
    return events


def record_failed_chunk(message: ChunkMessage, now: datetime) -> None:
    """A chunk that kept failing reached the dead-letter queue: its rows are reported as not processed."""
    job = job_store().get(message.tenant_id, message.job_id)
    if job is None or job.status is not JobStatus.PROCESSING:
        return
    logger.error("Chunk moved to the dead-letter queue", extra={"job_id": job.job_id, "chunk": message.chunk})
    metrics.add_metric(name="ChunksDeadLettered", unit=MetricUnit.Count, value=1)
    _count(job, message.chunk, Counts(not_processed=message.rows), now, failed=True)


def _count(job: ImportJob, chunk: int, counts: Counts, now: datetime, failed: bool) -> None:
    counted = job_store().count_chunk(job.tenant_id, job.job_id, chunk, counts, now, failed=failed)
    if counted is not None and counted.all_chunks_counted:
        start_report(counted.tenant_id, counted.job_id)
