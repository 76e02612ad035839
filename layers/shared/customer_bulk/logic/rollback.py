"""Undoing an applied import from the before-images its chunks recorded.

Every applied chunk recorded, before writing, the exact items it put and deleted and the before-image of every
key item it touched (logic.chunks). Rolling a chunk back restores those before-images, customer by customer:

- a customer is restored only while each of its key items still holds what the import wrote (or already holds the
  before-image again, after a partial rollback); a customer changed or deleted by anything else since is left
  alone and reported. The check holds at the write too: each write is conditional on the item being as the
  rollback read it (logic.writes); a customer changed in between is put back and decided again, left alone;
- customers that share a key item within the chunk (a phone one of them gave up and the other took) are restored
  or left alone together;
- chunks are rolled back last one first, so a customer two chunks of the import touched is unwound in order;
- a restored customer gets its previous values with a new version, so an export made while the import's values
  were in place is recognised as stale when it is imported again.

The rollback of a chunk is itself decided once and recorded before any write, like an import chunk, so a crash
half-way through replays the same writes. A rollback run again (after a failure) decides afresh in records of its
own: customers already restored are found as they were before the import and count as restored again.
"""

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from customer_bulk.i18n import N_, _
from customer_bulk.logic.records import decided_once, record_again, recorded
from customer_bulk.logic.writes import MAX_WRITE_ROUNDS, KeptChanging, owners, write_unless_changed
from customer_bulk.models.decisions import ChunkDecision, RowOutcome, Status
from customer_bulk.models.job import ImportJob, Phase, RollbackCounts
from customer_bulk.ports import Stores
from customer_bulk.schema import schema_for
from customer_bulk.spreadsheet.writer import XLSX, SafeWorkbook
from customer_bulk.storage_layout import CUSTOMER, Item, KeyWrite, customer_fields, key_writes, write_units

RESTORED = "restored"
REMOVED = "removed"
LEFT_ALONE = "left_alone"
NOT_PROCESSED = N_("Not rolled back: this part of the rollback failed repeatedly; roll the import back again")


@dataclass(frozen=True, slots=True)
class TouchedCustomer:
    """A customer an applied chunk created or changed, and the row of the file that did it."""

    row: int
    customer_id: str
    created: bool


def rollback_chunk(stores: Stores, job: ImportJob, chunk: int, now: datetime) -> RollbackCounts:
    decision = decided_once(stores, job, chunk, Phase.ROLLBACK, lambda: _decide(stores, job, chunk, now))
    for _round in range(MAX_WRITE_ROUNDS):
        if not write_unless_changed(stores, key_writes(decision.puts, decision.deletes, decision.conditions)).lost:
            return _counts(decision.outcomes)
        # Someone changed a customer between the read and the write: deciding again leaves it alone (customers
        # already restored are found as they were before the import, and count as restored).
        decision = _decide(stores, job, chunk, now)
        record_again(stores, job, chunk, Phase.ROLLBACK, decision, None)
    raise KeptChanging(f"rollback of chunk {chunk}: customers kept changing while it was written")


def customers_in(stores: Stores, job: ImportJob, chunk: int) -> list[TouchedCustomer]:
    """The customers an applied chunk created or changed (none when it never got to write)."""
    applied = recorded(stores, job, chunk, Phase.APPLY)
    return _touched(applied) if applied else []


def _touched(applied: ChunkDecision) -> list[TouchedCustomer]:
    return [
        TouchedCustomer(outcome.row, outcome.customer_id, outcome.status == Status.CREATED)
        for outcome in applied.outcomes
        if outcome.status in (Status.CREATED, Status.UPDATED) and outcome.customer_id
    ]


def _decide(stores: Stores, job: ImportJob, chunk: int, now: datetime) -> ChunkDecision:
    applied = recorded(stores, job, chunk, Phase.APPLY)
    if applied is None:  # the chunk never decided anything, so it wrote nothing
        return ChunkDecision(outcomes=[], puts=[], deletes=[], before={})
    before, after = applied.before, applied.after
    current = stores.customers.get_many(before)
    touched = {customer.customer_id: customer for customer in _touched(applied)}
    labels = {spec.name: spec.label for spec in schema_for(job.settings, job.options.type).fields}

    outcomes: list[RowOutcome] = []
    puts: list[Item] = []
    deletes: list[str] = []
    for addresses, customer_ids in _units(before, after):
        intact = all(
            _same(current.get(address), after.get(address)) or _same(current.get(address), before[address])
            for address in addresses
        )
        if intact:
            for address in addresses:
                target, now_item = before[address], current.get(address)
                if _same(now_item, target):
                    continue  # already as it was
                if target is None:
                    deletes.append(address)
                else:
                    puts.append(_restored(target, now_item, now))
        for customer_id in sorted(customer_ids & touched.keys()):
            customer = touched[customer_id]
            if intact:
                status = REMOVED if customer.created else RESTORED
                outcomes.append(RowOutcome(customer.row, status, customer_id))
            else:
                reason = _why_left_alone(customer_id, addresses, current, after, labels)
                outcomes.append(RowOutcome(customer.row, LEFT_ALONE, customer_id, errors=[reason]))
    outcomes.sort(key=lambda outcome: outcome.row)
    return ChunkDecision(outcomes=outcomes, puts=puts, deletes=deletes, before={a: current.get(a) for a in before})


def _units(before: dict[str, Item | None], after: dict[str, Item | None]) -> list[tuple[list[str], set[str]]]:
    """Key items grouped by the customers they belong to before or after; groups sharing a key item merge."""
    writes = [KeyWrite(address, after.get(address), item) for address, item in before.items()]
    return [(sorted(unit), owners(writes, unit)) for unit in write_units(writes)]


def _same(left: Item | None, right: Item | None) -> bool:
    """Whether two key items hold the same thing, bookkeeping (versions, times, jobs) aside."""
    if left is None or right is None:
        return left is right
    if left["kind"] != right["kind"]:
        return False
    if left["kind"] != CUSTOMER:
        return (left["home"], left["ref_customer_id"]) == (right["home"], right["ref_customer_id"])
    return left["customer_id"] == right["customer_id"] and _canonical(left) == _canonical(right)


def _canonical(item: Item) -> str:
    return json.dumps(customer_fields(item), sort_keys=True, default=str)


def _restored(before: Item, current: Item | None, now: datetime) -> Item:
    if before["kind"] != CUSTOMER:
        return before
    version = max(int(before["version"]), int(current["version"]) if current else 0) + 1
    return {**before, "version": version, "updated_at": now.isoformat()}


def _why_left_alone(
    customer_id: str,
    addresses: list[str],
    current: dict[str, Item],
    after: dict[str, Item | None],
    labels: dict[str, str],
) -> str:
    home = next(
        (
            a
            for a in addresses
            if (item := after.get(a)) and item["kind"] == CUSTOMER and item["customer_id"] == customer_id
        ),
        None,
    )
    now_item = current.get(home) if home else None
    if home is None or now_item is None or now_item.get("customer_id") != customer_id:
        return _("deleted or given another email or phone after the import; left as it is now")
    imported, present = customer_fields(after.get(home) or {}), customer_fields(now_item)
    changed = sorted(name for name in imported.keys() | present.keys() if imported.get(name) != present.get(name))
    if not changed:
        return _("shares an email or phone with a customer changed after the import; left as it is now")
    names = ", ".join(labels.get(name, name.replace("_", " ").capitalize()) for name in changed)
    return _("changed after the import ({fields}); left as it is now", fields=names)


def _counts(outcomes: list[RowOutcome]) -> RollbackCounts:
    counts = RollbackCounts()
    for outcome in outcomes:
        setattr(counts, outcome.status, getattr(counts, outcome.status) + 1)
    return counts


# ---------- the report ----------
REPORT_HEADERS = (N_("Row"), N_("Customer ID"), N_("Email"), N_("Phone"), N_("Why"))


def write_rollback_report(stores: Stores, job: ImportJob, key: str, stalled: set[int]) -> None:
    """The customers the rollback left alone (changed since the import) or could not process, with why."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "rollback.xlsx"
        with SafeWorkbook(path) as book:
            headers = [_(header) for header in REPORT_HEADERS]
            sheet = book.add_sheet(_("Left alone"), headers, widths=(8, 28, 30, 16, 80))
            for values in _not_restored(stores, job, stalled):
                sheet.write_row(values, book.error)
            sheet.finish()
        stores.files.put_file(key, path, XLSX)


def _not_restored(stores: Stores, job: ImportJob, stalled: set[int]) -> Iterator[list[Any]]:
    """Row, customer id, email and phone (as the import left them, to find the customer) and why, chunk by chunk."""
    failed = job.chunks(Phase.ROLLBACK).failed | stalled
    for number in range(job.chunks_total):
        applied = recorded(stores, job, number, Phase.APPLY)
        if applied is None:
            continue
        keys = {
            item["customer_id"]: (item.get("email"), item.get("phone"))
            for item in applied.puts
            if item["kind"] == CUSTOMER
        }
        if number in failed:
            reasons = {customer.customer_id: _(NOT_PROCESSED) for customer in _touched(applied)}
            rows = {customer.customer_id: customer.row for customer in _touched(applied)}
        else:
            rolled_back = recorded(stores, job, number, Phase.ROLLBACK)
            outcomes = rolled_back.outcomes if rolled_back else []
            left_alone = [outcome for outcome in outcomes if outcome.status == LEFT_ALONE and outcome.customer_id]
            reasons = {str(outcome.customer_id): "; ".join(outcome.errors) for outcome in left_alone}
            rows = {str(outcome.customer_id): outcome.row for outcome in left_alone}
        for customer_id, why in reasons.items():
            email, phone = keys.get(customer_id, (None, None))
            yield [rows[customer_id], customer_id, email, phone, why]
