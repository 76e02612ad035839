"""The customers table: key items (a customer's home, or a pointer to it) addressed by ``{tenant}#E|P#{key}``."""

from collections.abc import Iterable
from typing import Any

from customer_bulk.dal.dynamo import batch_get, batch_write


class CustomerStore:
    def __init__(self, table: str) -> None:
        self.table = table

    def get_many(self, addresses: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Strongly consistent: the chunk before this one (same tenant) must be visible."""
        items = batch_get(self.table, ({"pk": address} for address in sorted(set(addresses))))
        return {item["pk"]: item for item in items}

    def write(self, puts: list[dict[str, Any]], deletes: list[str]) -> None:
        batch_write(self.table, puts, ({"pk": address} for address in deletes))
