"""Applying one chunk of a file to the customers, with exactly-once effect on top of at-least-once delivery.

1. A chunk already counted on the job (in the message's phase) is acknowledged and nothing else happens (a late
   duplicate must not replay old writes over newer ones); so is a message of a phase the job is not in.
2. The chunk's decision (outcomes + exact writes + before-images) is computed once and recorded in S3 *before*
   any write; a redelivery after a crash replays that record instead of deciding again against half-written data.
   A preview records its decision and writes nothing; an applied decision is the before-image store of an undo.
3. Every write is conditional on the item being as it was read (logic.writes, docs/adr/0011). Rows whose customers
   another writer changed in between are decided again against what is stored now, recorded, then written.
4. The chunk is counted with a conditional ADD on the job, so counts cannot double; the call that counts the last
   chunk starts the job's state machine (named after the job and phase, so a second start is refused).

A tenant's chunks spread over several FIFO message groups; chunks whose rows share a key are in the same group,
so they still run in file order (logic.split).
"""

from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.i18n import speaking
from customer_bulk.logic.balances import decide_balances
from customer_bulk.logic.matching import (
    CustomerView,
    DecisionContext,
    Previewed,
    customer_keys,
    decide_chunk,
    row_addresses,
)
from customer_bulk.logic.records import decided_once, record_again, recorded
from customer_bulk.logic.report import start_report
from customer_bulk.logic.rollback import customers_in, rollback_chunk
from customer_bulk.logic.writes import MAX_WRITE_ROUNDS, KeptChanging, owners, write_unless_changed
from customer_bulk.models.decisions import ChunkDecision, Status
from customer_bulk.models.job import (
    ChunkMessage,
    Counts,
    ImportJob,
    ImportType,
    MatchKey,
    Phase,
    RollbackCounts,
)
from customer_bulk.observability import logger, metrics
from customer_bulk.paths import RETENTION_TAG
from customer_bulk.ports import Stores
from customer_bulk.storage_layout import CUSTOMER, POINTER, key_writes
from customer_bulk.validation import RowContext, validate_row


def apply_chunk(stores: Stores, message: ChunkMessage, now: datetime) -> None:
    job = stores.jobs.get(message.tenant_id, message.job_id)
    if job is None or not job.expects(message):
        logger.info("Chunk already handled", extra={"job_id": message.job_id, "chunk": message.chunk})
        return
    with speaking(job.language):  # rows' errors and warnings, what a rollback left alone: in the job's language
        _apply(stores, job, message, now)


def _apply(stores: Stores, job: ImportJob, message: ChunkMessage, now: datetime) -> None:
    if message.phase is Phase.ROLLBACK:
        _count(stores, job, message, rollback_chunk(stores, job, message.chunk, now), now)
        return
    # An applied decision holds the before-images an undo needs: kept as long as the tenant's undo window.
    tags = {RETENTION_TAG: str(job.settings.undo_retention_days)} if message.phase is Phase.APPLY else None
    decision = decided_once(stores, job, message.chunk, message.phase, lambda: decide(stores, job, message, now), tags)
    order: tuple[set[str], set[str]] = (set(), set())
    if message.phase is Phase.APPLY:
        decision = _write(stores, job, message, decision, now, tags)
        order = undo_edges(job, message.chunk, decision)
    counts = decision.counts
    if message.phase is Phase.APPLY:
        if job.options.trigger_flows:
            counts.flow_events = stores.flow_bus.publish(flow_events(job, decision))
        for name, value in (("Created", counts.created), ("Updated", counts.updated), ("Invalid", counts.invalid)):
            metrics.add_metric(name=f"Rows{name}", unit=MetricUnit.Count, value=value)
    _count(stores, job, message, counts, now, order=order)


WRITING = (Status.CREATED, Status.UPDATED)


def _write(
    stores: Stores,
    job: ImportJob,
    message: ChunkMessage,
    decision: ChunkDecision,
    now: datetime,
    tags: dict[str, str] | None,
) -> ChunkDecision:
    """Write the decision; rows whose customers changed since they were read are decided again (the new decision
    recorded before its writes), until every write holds."""
    writes = key_writes(decision.puts, decision.deletes, decision.conditions)
    for _round in range(MAX_WRITE_ROUNDS):
        written = write_unless_changed(stores, writes)
        if not written.lost:
            return decision
        changed = owners(writes, written.lost)
        rows = {o.row for o in decision.outcomes if o.customer_id in changed and o.status in WRITING}
        if not rows:
            raise KeptChanging(f"chunk {message.chunk}: items changed that no row of it wrote")
        metrics.add_metric(name="RowsDecidedAgain", unit=MetricUnit.Count, value=len(rows))
        again = decide(stores, job, message, now, only=rows)
        decision = decision.merged(again, rows, written.lost, written.still_ours)
        record_again(stores, job, message.chunk, message.phase, decision, tags)
        writes = key_writes(again.puts, again.deletes, again.conditions)
    raise KeptChanging(f"chunk {message.chunk}: customers kept changing while it was written")


def undo_edges(job: ImportJob, chunk: int, decision: ChunkDecision) -> tuple[set[str], set[str]]:
    """The stamps of the chunk's writes, and the stamps of this import's writes it wrote over.

    Chunks of different message groups may reach one stored customer (a row by its email, another by its phone)
    and write it in either order; an undo must unwind them in the order they were written, not by chunk number.
    A customer item carries the job and the moment (``updated_at``, the deciding invocation's) that wrote it, so a
    before-image stamped by this import names the write this chunk came after (job_actions.undo_order)."""
    stamps = {item["updated_at"] for item in decision.puts if item["kind"] == CUSTOMER}
    over = {
        item["updated_at"]
        for item in decision.before.values()
        if item is not None and item["kind"] == CUSTOMER and item.get("updated_by_job") == job.job_id
    }
    return {f"{chunk}@{stamp}" for stamp in stamps}, {f"{chunk}<{stamp}" for stamp in over - stamps}


def decide(
    stores: Stores, job: ImportJob, message: ChunkMessage, now: datetime, only: set[int] | None = None
) -> ChunkDecision:
    """The chunk's decision against what is stored now (``only``: just these rows of it)."""
    records = stores.files.read_json_lines(message.key)
    if only is not None:
        records = [record for record in records if record["r"] in only]
    context = RowContext.of(job)
    rows = [validate_row(r["r"], r["v"], context, r.get("dup"), r.get("shared")) for r in records]
    store = stores.customers
    addresses = row_addresses(job.tenant_id, rows)
    found = store.get_many(addresses)
    homes = {item["home"] for item in found.values() if item["kind"] == POINTER}
    if job.options.match_key is MatchKey.CUSTOMER_ID:
        ids = {ref for row in rows if row.is_valid and (ref := row.id_to_match)}
        homes |= set(store.homes_of(job.tenant_id, ids).values())
    if homes - found.keys():
        found.update(store.get_many(homes - found.keys()))
    if only is not None:
        # Deciding again after a conflict: read the found customers' other keys too, instead of assuming their
        # pointers are as they should be (a pointer someone else changed would fail every round otherwise).
        others = customer_keys(job.tenant_id, found.values()) - addresses
        found.update(store.get_many(others))
        addresses |= others
    decision_context = DecisionContext(
        tenant_id=job.tenant_id,
        job_id=job.job_id,
        options=job.options,
        now=now.isoformat(),
        column_names={
            name: context.column_name(name) for name in ("email", "phone", "customer_id") if name in context.schema
        },
        previewed=_previewed(stores, job, message.chunk) if message.phase is Phase.APPLY else None,
    )
    view = CustomerView(found, addresses)
    if job.options.type is ImportType.OPENING_BALANCE:
        return decide_balances(rows, view, decision_context, job.settings.earn_rule)
    return decide_chunk(rows, view, decision_context)


def _previewed(stores: Stores, job: ImportJob, chunk: int) -> dict[int, Previewed] | None:
    """What the preview showed for each row of the chunk, when the job was previewed before being applied (none
    for a chunk the preview never decided: it showed those rows as not processed, so they are not applied)."""
    if job.previewed_at is None:
        return None
    previewed = recorded(stores, job, chunk, Phase.PREVIEW)
    return {outcome.row: Previewed.of(outcome) for outcome in previewed.outcomes} if previewed else {}


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


def record_failed_chunk(stores: Stores, message: ChunkMessage, now: datetime) -> None:
    """A chunk that kept failing reached the dead-letter queue: its rows (a rollback: its customers) are reported
    as not processed."""
    job = stores.jobs.get(message.tenant_id, message.job_id)
    if job is None or not job.expects(message):
        return
    logger.error("Chunk moved to the dead-letter queue", extra={"job_id": job.job_id, "chunk": message.chunk})
    metrics.add_metric(name="ChunksDeadLettered", unit=MetricUnit.Count, value=1)
    counts: Counts | RollbackCounts = Counts(not_processed=message.rows)
    order: tuple[set[str], set[str]] = (set(), set())
    if message.phase is Phase.ROLLBACK:
        counts = RollbackCounts(not_processed=len(customers_in(stores, job, message.chunk)))
    elif message.phase is Phase.APPLY and (applied := recorded(stores, job, message.chunk, Phase.APPLY)):
        order = undo_edges(job, message.chunk, applied)  # some of its writes may have landed: an undo orders them
    _count(stores, job, message, counts, now, failed=True, order=order)


def _count(
    stores: Stores,
    job: ImportJob,
    message: ChunkMessage,
    counts: Counts | RollbackCounts,
    now: datetime,
    failed: bool = False,
    order: tuple[set[str], set[str]] = (set(), set()),
) -> None:
    counted = stores.jobs.count_chunk(
        job.tenant_id, job.job_id, message.chunk, counts, now, phase=message.phase, failed=failed, order=order
    )
    if counted is not None and counted.all_chunks_counted:
        start_report(stores, counted)
