"""Writing key items without overwriting anyone (docs/adr/0011).

Every item is written only while it still holds what was read: a free key must still be free, a stored customer
must still be the same customer at the same ``version``, a pointer must still point to the same home for the same
customer. When another writer (the product's customer screens, another service, another chunk) changed an item in
between, the write fails instead of overwriting it; what this call wrote of the items written together with it
(its unit: a customer's key items, and any customer sharing one) is put back, and the caller decides those rows
again against what is stored now.

Claims go first, releases last: the items a unit puts (a new key, a customer's new image, a pointer's new home)
are written before the keys it frees are deleted, a customer's old home before its old pointers, and each step
only for the units whose earlier steps held. A unit put back because a claim or an old home failed has freed no
pointer, so putting it back only deletes or rewinds items of its own customer; it never claims again a key it had
freed (which someone else may have taken meanwhile).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from customer_bulk.observability import logger
from customer_bulk.ports import Stores
from customer_bulk.storage_layout import CUSTOMER, Item, KeyWrite, owner_of, write_units

MAX_WRITE_ROUNDS = 5


class KeptChanging(RuntimeError):
    """Another writer changed a chunk's customers round after round: the message is retried later."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a round of writes left: the addresses of the units that could not be written whole (``lost``), and
    those of them still holding a write of this chunk (an earlier attempt's, edited since, or one that could not be
    put back): an undo must still restore what was there before the chunk."""

    lost: set[str] = field(default_factory=set)
    still_ours: set[str] = field(default_factory=set)


def write_unless_changed(stores: Stores, writes: list[KeyWrite]) -> Outcome:
    """Make ``writes``: claims, then freed customer items, then freed pointers, each step only for the units whose
    earlier steps held; put back what landed of the units that did not."""
    units = write_units(writes)
    steps = (
        [write for write in writes if write.item is not None],
        [write for write in writes if write.item is None and _is_customer(write.expected)],
        [write for write in writes if write.item is None and not _is_customer(write.expected)],
    )
    landed: set[str] = set()  # written by this call, or found exactly as an earlier attempt wrote them
    edited: set[str] = set()  # an earlier attempt's write, edited by someone since: it cannot be put back
    lost: set[str] = set()
    for number, step in enumerate(steps):
        pending = [write for write in step if write.address not in lost]
        if not pending:
            continue
        failed = stores.customers.write_if_unchanged(pending)
        landed |= {write.address for write in pending} - failed
        if not failed:
            continue
        current = stores.customers.get_many(failed)
        conflicts = set()
        for write in pending:
            if write.address not in failed:
                continue
            stored = current.get(write.address)
            if stored == write.item or (number and _released(stored, write)):
                landed.add(write.address)
            elif number == 0 and _ours_edited_since(stored, write):
                edited.add(write.address)
            else:
                conflicts.add(write.address)
        for unit in units:
            if unit & conflicts:
                lost |= unit
    if not lost:
        return Outcome()
    put_back = [write.reversed() for write in writes if write.address in lost & landed]
    not_put_back = stores.customers.write_if_unchanged(put_back)
    if not_put_back:
        # Changed again within milliseconds of our write: theirs is newer, so it stays.
        logger.warning("Key items changed again before they could be put back", extra={"count": len(not_put_back)})
    logger.info("Key items changed by another writer", extra={"unit_items": len(lost), "put_back": len(put_back)})
    return Outcome(lost, (lost & edited) | not_put_back)


def _is_customer(item: Item | None) -> bool:
    return item is not None and item["kind"] == CUSTOMER


def _ours_edited_since(stored: Item | None, write: KeyWrite) -> bool:
    """Whether a claim that failed had been made by an earlier attempt (a replay after a crash) and edited since:
    the customer still carries the stamp of our write (same customer, same job, same moment) under a version
    someone else moved."""
    intended = write.item
    if not (_is_customer(stored) and _is_customer(intended)):
        return False
    assert stored is not None and intended is not None
    same_stamp = all(stored.get(name) == intended.get(name) for name in ("customer_id", "updated_by_job", "updated_at"))
    return same_stamp and int(stored["version"]) > int(intended["version"])


def _released(stored: Item | None, write: KeyWrite) -> bool:
    """Whether a key to free is free of our customer: gone, or someone else's by now (our customer's new image,
    already written, no longer lists it)."""
    return stored is None or write.expected is None or owner_of(stored) != owner_of(write.expected)


def owners(writes: Iterable[KeyWrite], addresses: set[str]) -> set[str]:
    """The customers the writes at ``addresses`` concern, before or after."""
    concerned = [write for write in writes if write.address in addresses]
    return {owner_of(item) for write in concerned for item in (write.expected, write.item) if item}
