"""Writing key items without overwriting anyone (docs/adr/0011).

Every item is written only while it still holds what was read: a free key must still be free, a stored customer
must still be the same customer at the same ``version``, a pointer must still point to the same home for the same
customer. When another writer (the product's customer screens, another service, another chunk) changed an item in
between, the write fails instead of overwriting it; what this call wrote of the items written together with it
(its unit: a customer's key items, and any customer sharing one) is put back, and the caller decides those rows
again against what is stored now.

Claims go first, releases last: the items a unit puts (a new key, a customer's new image, a pointer's new home)
are written before the keys it frees are deleted, and a unit's keys are freed only once all its claims held. So a
unit put back because a claim failed never has to claim again a key it had freed (which someone else may have
taken meanwhile).
"""

from collections.abc import Callable

from customer_bulk.observability import logger
from customer_bulk.ports import Stores
from customer_bulk.storage_layout import CUSTOMER, Item, KeyWrite, owner_of, write_units

MAX_WRITE_ROUNDS = 5


class KeptChanging(RuntimeError):
    """Another writer changed a chunk's customers round after round: the message is retried later."""


def write_unless_changed(stores: Stores, writes: list[KeyWrite]) -> set[str]:
    """Make ``writes``; the addresses of the units that could not be written whole (empty: all were)."""
    units = write_units(writes)
    claims = [write for write in writes if write.item is not None]
    claimed, lost = _write(stores, claims, units, _claim_landed)
    releases = [write for write in writes if write.item is None and write.address not in lost]
    released, lost_releasing = _write(stores, releases, units, _release_landed)
    lost |= lost_releasing
    if not lost:
        return lost
    written_here = claimed | released
    put_back = [write.reversed() for write in writes if write.address in lost & written_here]
    if still_changed := stores.customers.write_if_unchanged(put_back):
        # Changed again within milliseconds of our write: theirs is newer, so it stays.
        logger.warning("Key items changed again before they could be put back", extra={"count": len(still_changed)})
    logger.info("Key items changed by another writer", extra={"unit_items": len(lost), "put_back": len(put_back)})
    return lost


def _write(
    stores: Stores,
    writes: list[KeyWrite],
    units: list[set[str]],
    landed: Callable[[Item | None, KeyWrite], bool],
) -> tuple[set[str], set[str]]:
    """(the addresses written by this call, the addresses of the units one of whose writes met a change)."""
    if not writes:
        return set(), set()
    failed = stores.customers.write_if_unchanged(writes)
    written = {write.address for write in writes} - failed
    if not failed:
        return written, set()
    current = stores.customers.get_many(failed)
    conflicts = {
        write.address for write in writes if write.address in failed and not landed(current.get(write.address), write)
    }
    lost: set[str] = set()
    for unit in units:
        if unit & conflicts:
            lost |= unit
    return written, lost


def _claim_landed(stored: Item | None, write: KeyWrite) -> bool:
    """Whether a claim that failed had been made by an earlier attempt (a replay after a crash): the item holds
    what we meant to write, or a customer still carries the stamp of our write (same customer, same job, same
    moment) under a version moved since by someone else's edit."""
    intended = write.item
    if stored == intended:
        return True
    if stored is None or intended is None or stored["kind"] != CUSTOMER or intended["kind"] != CUSTOMER:
        return False
    return all(stored.get(name) == intended.get(name) for name in ("customer_id", "updated_by_job", "updated_at")) and (
        int(stored["version"]) > int(intended["version"])
    )


def _release_landed(stored: Item | None, write: KeyWrite) -> bool:
    """Whether a key to free is free of our customer: gone, or someone else's by now (our customer's new image,
    already written, no longer lists it)."""
    return stored is None or write.expected is None or owner_of(stored) != owner_of(write.expected)


def owners(addresses: set[str], *images: dict[str, Item | None]) -> set[str]:
    """The customers the items at ``addresses`` belong to in any of ``images`` (before or after a decision)."""
    return {owner_of(item) for image in images for address in addresses if (item := image.get(address))}
