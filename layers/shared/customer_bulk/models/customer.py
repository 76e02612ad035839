"""A customer as logic sees it: who it is, at which version, who wrote it last, and its own field values.

How a customer is stored (its home item, pointers, shard) is ``storage_layout``'s business: logic decides on
``Customer`` values and turns them into items only through ``storage_layout.customer_item``.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    tenant_id: str
    version: int
    created_at: str
    updated_at: str
    created_by_job: str | None = None
    updated_by_job: str | None = None
    # The customer's own fields (email, phone, names, tags, loyalty figures...), as stored: no bookkeeping here.
    fields: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def keys(self) -> dict[str, str]:
        """The keys it is found by (email, phone), those it has."""
        return {name: self.fields[name] for name in ("email", "phone") if self.fields.get(name)}
