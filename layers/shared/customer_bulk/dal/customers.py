"""The customers table: key items (a customer's home, or a pointer to it) addressed by ``{tenant}#E|P#{key}``."""

import heapq
from collections.abc import Iterable, Iterator
from typing import Any

from customer_bulk.dal.clients import aws_client
from customer_bulk.dal.dynamo import batch_get, batch_write, from_attributes
from customer_bulk.storage_layout import TENANT_SHARDS

ID_INDEX = "ById"
TENANT_INDEX = "ByTenant"
KEY_ATTRIBUTES = "pk, customer_id"


class CustomerStore:
    def __init__(self, table: str) -> None:
        self.table = table

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("dynamodb")

    def homes_of(self, tenant_id: str, customer_ids: Iterable[str]) -> dict[str, str]:
        """customer id -> address of its home item, for this tenant's customers only (one Query an id: the index
        cannot be read in batches, which is why ids are a match key only when the admin asks for it)."""
        homes = {}
        prefix = f"{tenant_id}#"
        for customer_id in sorted(set(customer_ids)):
            response = self.client.query(
                TableName=self.table,
                IndexName=ID_INDEX,
                KeyConditionExpression="customer_id = :id",
                ExpressionAttributeValues={":id": {"S": customer_id}},
            )
            for item in response.get("Items", []):
                if item["pk"]["S"].startswith(prefix):
                    homes[customer_id] = item["pk"]["S"]
        return homes

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

    def write(self, puts: list[dict[str, Any]], deletes: list[str]) -> None:
        batch_write(self.table, puts, ({"pk": address} for address in deletes))
