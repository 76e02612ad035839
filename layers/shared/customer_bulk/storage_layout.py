"""How customers are laid out in the customers table (docs/adr/0002), in one place: the data-access layer stores
what this describes, and logic builds items and addresses only through it.

- A customer lives at the item of its first key, ``{tenant}#E#{email}`` or ``{tenant}#P#{phone}``; its other key is
  a small pointer item to that home. Every key is an exact primary key, so a key can never hold two customers.
- Its ``tenant_shard`` spreads a tenant's customers over a few partitions of the ``ByTenant`` index.
- Storage and bookkeeping attributes (``META_FIELDS``) sit beside the customer's own fields.
"""

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from customer_bulk.models.customer import Customer

Item = dict[str, Any]  # one item as DynamoDB holds it, as plain values

CUSTOMER = "customer"
POINTER = "pointer"
TENANT_SHARDS = 16
META_FIELDS = frozenset(
    {"pk", "kind", "customer_id", "tenant_id", "tenant_shard", "version", "created_at", "updated_at"}
    | {"created_by_job", "updated_by_job"}
)
KEY_FIELDS = ("email", "phone")
_KEY_PREFIX = dict(zip(KEY_FIELDS, ("E", "P"), strict=True))


def key_address(tenant_id: str, key_field: str, value: str) -> str:
    """Where the key ``value`` of field ``key_field`` (email or phone) lives."""
    return f"{tenant_id}#{_KEY_PREFIX[key_field]}#{value}"


def pointer_item(address: str, home: str, customer_id: str) -> Item:
    """A customer's other key: it points to the customer's home item."""
    return {"pk": address, "kind": POINTER, "home": home, "ref_customer_id": customer_id}


def customer_item(customer: Customer, home: str) -> Item:
    """The item that holds ``customer`` at its home address."""
    item: Item = {
        "pk": home,
        "kind": CUSTOMER,
        "customer_id": customer.customer_id,
        "tenant_id": customer.tenant_id,
        "tenant_shard": tenant_shard(customer.tenant_id, customer.customer_id),
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }
    for name in ("created_by_job", "updated_by_job"):
        if (job_id := getattr(customer, name)) is not None:
            item[name] = job_id
    item.update(customer.fields)
    return item


def customer_of(item: Item) -> Customer:
    """The customer a home item holds (numbers read back from DynamoDB as Decimal become int where they must)."""
    return Customer(
        customer_id=item["customer_id"],
        tenant_id=item["tenant_id"],
        version=int(item["version"]),
        created_at=item["created_at"],
        updated_at=item["updated_at"],
        created_by_job=item.get("created_by_job"),
        updated_by_job=item.get("updated_by_job"),
        fields=customer_fields(item),
    )


def customer_fields(item: Item) -> dict[str, Any]:
    """A customer item's field values, without storage and bookkeeping attributes."""
    return {name: value for name, value in item.items() if name not in META_FIELDS}


def tenant_shard(tenant_id: str, customer_id: str) -> str:
    """Where a customer sits in the ByTenant index: a tenant's customers are spread over a few partitions, so an
    export reads them in parallel and no partition grows hot."""
    return f"{tenant_id}#{zlib.crc32(customer_id.encode()) % TENANT_SHARDS:02d}"


@dataclass(frozen=True, slots=True)
class KeyWrite:
    """Write ``item`` at ``address`` (None: delete what is there) only while the address still holds ``expected``,
    the item as it was read (None: nothing). Another writer's change in between makes the write fail instead of
    being overwritten: a customer's ``version`` moves with every change, a pointer is known by its ``home``."""

    address: str
    item: Item | None
    expected: Item | None

    def reversed(self) -> "KeyWrite":
        """Putting back what was there, only while the address still holds what this write left."""
        return KeyWrite(self.address, self.expected, self.item)


def after_images(puts: Iterable[Item], deletes: Iterable[str]) -> dict[str, Item | None]:
    """Each written address's new item (None: deleted)."""
    after: dict[str, Item | None] = dict.fromkeys(deletes)
    after.update({item["pk"]: item for item in puts})
    return after


def key_writes(puts: Iterable[Item], deletes: Iterable[str], before: dict[str, Item | None]) -> list[KeyWrite]:
    """The writes that turn ``before`` into the puts and deletes, each conditional on its address's before-image."""
    after = sorted(after_images(puts, deletes).items())
    return [KeyWrite(address, item, before.get(address)) for address, item in after]


def write_units(writes: Iterable[KeyWrite]) -> list[set[str]]:
    """Addresses that must be written together: a customer's key items, before and after, merged with every other
    customer's that shares one of them (a phone one customer gave up and another took)."""
    parent: dict[str, str] = {}

    def root(customer_id: str) -> str:
        while parent.setdefault(customer_id, customer_id) != customer_id:
            customer_id = parent[customer_id]
        return customer_id

    owners: dict[str, set[str]] = {}
    for write in writes:
        ids = {owner_of(item) for item in (write.expected, write.item) if item}
        owners[write.address] = ids or {write.address}
        first, *rest = sorted(owners[write.address])
        for other in rest:
            parent[root(other)] = root(first)
    units: dict[str, set[str]] = {}
    for address, ids in owners.items():
        units.setdefault(root(min(ids)), set()).add(address)
    return list(units.values())


def owner_of(item: Item) -> str:
    """The customer a key item belongs to: its own id, or the one a pointer points to."""
    return str(item["customer_id"] if item["kind"] == CUSTOMER else item["ref_customer_id"])
