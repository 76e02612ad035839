"""Writing key items without overwriting anyone (docs/adr/0011).

Every item is written only while it still holds what was read: a free key must still be free, a customer's
``version`` and a pointer's ``home`` must not have moved. When another writer (the product's customer screens,
another service, another chunk) changed an item in between, the write fails instead of overwriting it; the items
written together with it (its unit: a customer's key items, and any customer sharing one) are put back, and the
caller decides those rows again against what is stored now.
"""

from customer_bulk.observability import logger
from customer_bulk.ports import Stores
from customer_bulk.storage_layout import Item, KeyWrite, owner_of, write_units

MAX_WRITE_ROUNDS = 5


class KeptChanging(RuntimeError):
    """Another writer changed a chunk's customers round after round: the message is retried later."""


def write_unless_changed(stores: Stores, writes: list[KeyWrite]) -> set[str]:
    """Make ``writes``; the addresses of the units that could not be written whole (empty: all were)."""
    failed = stores.customers.write_if_unchanged(writes)
    if not failed:
        return set()
    intended = {write.address: write.item for write in writes}
    current = stores.customers.get_many(failed)
    # An item already holding what it was to get was written by an earlier attempt (a replay after a crash).
    conflicts = {address for address in failed if current.get(address) != intended[address]}
    if not conflicts:
        return set()
    lost: set[str] = set()
    for unit in write_units(writes):
        if unit & conflicts:
            lost |= unit
    put_back = [write.reversed() for write in writes if write.address in lost - conflicts]
    if still_changed := stores.customers.write_if_unchanged(put_back):
        # Changed again within milliseconds of our write: theirs is newer, so it stays.
        logger.warning("Key items changed again before they could be put back", extra={"count": len(still_changed)})
    logger.info("Key items changed by another writer", extra={"conflicts": len(conflicts), "unit_items": len(lost)})
    return lost


def owners(addresses: set[str], *images: dict[str, Item | None]) -> set[str]:
    """The customers the items at ``addresses`` belong to in any of ``images`` (before or after a decision)."""
    return {owner_of(item) for image in images for address in addresses if (item := image.get(address))}
