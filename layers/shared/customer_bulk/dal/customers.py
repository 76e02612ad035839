"""The customers table: key items (a customer's home, or a pointer to it) addressed by ``{tenant}#E|P#{key}``.

Customers are written only by conditional PartiQL statements (docs/adr/0011): a key that was free must still be
free (INSERT), a stored customer must be the same one at the same version, a pointer must point to the same home
for the same customer (UPDATE/DELETE ... WHERE)."""

import heapq
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from customer_bulk.dal.clients import aws_client
from customer_bulk.dal.dynamo import batch_get, batch_statements, from_attributes, to_attributes
from customer_bulk.storage_layout import CUSTOMER, TENANT_SHARDS, Item, KeyWrite, tenant_shard

TENANT_INDEX = "ByTenant"
KEY_ATTRIBUTES = "pk, customer_id"
ID_LOOKUPS_AT_ONCE = 8


class CustomerStore:
    def __init__(self, table: str) -> None:
        self.table = table

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("dynamodb")

    def homes_of(self, tenant_id: str, customer_ids: Iterable[str]) -> dict[str, str]:
        """customer id -> address of its home item, for this tenant's customers only: the ``ByTenant`` index's key
        is the tenant's shard of the id and the id, so one Query an id finds it (several at once; an index cannot be
        read in batches, which is why ids are a match key only when the admin asks for it)."""

        def home(customer_id: str) -> tuple[str, str | None]:
            response = self.client.query(
                TableName=self.table,
                IndexName=TENANT_INDEX,
                KeyConditionExpression="tenant_shard = :shard AND customer_id = :id",
                ExpressionAttributeValues={
                    ":shard": {"S": tenant_shard(tenant_id, customer_id)},
                    ":id": {"S": customer_id},
                },
                ProjectionExpression=KEY_ATTRIBUTES,
            )
            items = response.get("Items", [])
            return customer_id, items[0]["pk"]["S"] if items else None

        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        with ThreadPoolExecutor(min(ID_LOOKUPS_AT_ONCE, len(ids))) as pool:
            return {customer_id: pk for customer_id, pk in pool.map(home, ids) if pk is not None}

    def tenant_customers(
        self, tenant_id: str, after_id: str | None = None, last_id: str | None = None, full: bool = False
    ) -> Iterator[dict[str, Any]]:
        """A tenant's customers with ids after ``after_id`` up to ``last_id``, in customer-id order (ids sort by
        creation time), read lazily page by page from the ByTenant index's shards and merged.
        ``full=False`` reads only ``pk`` and ``customer_id``."""
        shards = [self._shard(f"{tenant_id}#{shard:02d}", after_id, last_id, full) for shard in range(TENANT_SHARDS)]
        return heapq.merge(*shards, key=lambda item: str(item["customer_id"]))

    def _shard(self, shard: str, after_id: str | None, last_id: str | None, full: bool) -> Iterator[dict[str, Any]]:
        values = {":shard": {"S": shard}}
        condition = "tenant_shard = :shard"
        if after_id and last_id:  # BETWEEN is inclusive: the item equal to after_id is dropped below
            condition += " AND customer_id BETWEEN :after AND :last"
        elif after_id:
            condition += " AND customer_id > :after"
        elif last_id:
            condition += " AND customer_id <= :last"
        values.update({":after": {"S": after_id}} if after_id else {})
        values.update({":last": {"S": last_id}} if last_id else {})
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": TENANT_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if not full:
            kwargs["ProjectionExpression"] = KEY_ATTRIBUTES
        while True:
            response = self.client.query(**kwargs)
            for item in response.get("Items", []):
                if item["customer_id"]["S"] != after_id:
                    yield from_attributes(item)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def get_many(self, addresses: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Strongly consistent: the chunk before this one (same tenant) must be visible."""
        items = batch_get(self.table, ({"pk": address} for address in sorted(set(addresses))))
        return {item["pk"]: item for item in items}

    def write_if_unchanged(self, writes: Iterable[KeyWrite]) -> set[str]:
        """Each write as one conditional statement (25 a request, several requests at once); the addresses whose
        item had changed since it was read, left as they are."""
        statements = [(write.address, statement) for write in writes if (statement := self._statement(write))]
        answers = batch_statements([statement for _, statement in statements])
        return {address for (address, _), failed in zip(statements, answers, strict=True) if failed}

    def _statement(self, write: KeyWrite) -> tuple[str, list[Any]] | None:
        table = _quoted(self.table)
        if write.expected is None:
            if write.item is None:
                return None
            names = list(to_attributes(write.item))
            fields = ", ".join("'" + name.replace("'", "''") + "': ?" for name in names)
            return f"INSERT INTO {table} VALUE {{{fields}}}", [write.item[name] for name in names]
        condition, condition_values = _unchanged(write.address, write.expected)
        if write.item is None:
            return f"DELETE FROM {table} WHERE {condition}", condition_values  # noqa: S608 - names quoted, values bound
        now, then = to_attributes(write.item), to_attributes(write.expected)
        changed = [name for name in now if name != "pk" and now[name] != then.get(name)]
        removed = [name for name in then if name not in now]
        clauses = [f"SET {_quoted(name)} = ?" for name in changed] + [f"REMOVE {_quoted(name)}" for name in removed]
        if not clauses:
            return None
        values = [write.item[name] for name in changed] + condition_values
        return f"UPDATE {table} {' '.join(clauses)} WHERE {condition}", values


def _unchanged(address: str, expected: Item) -> tuple[str, list[Any]]:
    """The WHERE clause that holds while the item at ``address`` is still ``expected``: the same customer at the
    same version, or a pointer to the same home for the same customer (a customer created since at a freed key
    starts at version 1 too)."""
    if expected["kind"] == CUSTOMER:
        return '"pk" = ? AND "customer_id" = ? AND "version" = ?', [
            address,
            expected["customer_id"],
            expected["version"],
        ]
    return '"pk" = ? AND "ref_customer_id" = ? AND "home" = ?', [address, expected["ref_customer_id"], expected["home"]]


def _quoted(name: str) -> str:
    """A table or attribute name as a PartiQL identifier."""
    return '"' + name.replace('"', '""') + '"'
