"""The customers table: key items (a customer's home, or a pointer to it) addressed by ``{tenant}#E|P#{key}``."""

from collections.abc import Iterable
from typing import Any

from customer_bulk.dal.clients import aws_client
from customer_bulk.dal.dynamo import batch_get, batch_write

ID_INDEX = "ById"


class CustomerStore:
    def __init__(self, table: str) -> None:
        self.table = table
        self.client = aws_client("dynamodb")

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

    def get_many(self, addresses: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Strongly consistent: the chunk before this one (same tenant) must be visible."""
        items = batch_get(self.table, ({"pk": address} for address in sorted(set(addresses))))
        return {item["pk"]: item for item in items}

    def write(self, puts: list[dict[str, Any]], deletes: list[str]) -> None:
        batch_write(self.table, puts, ({"pk": address} for address in deletes))
