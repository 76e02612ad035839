"""Customer events for automation flows, on an EventBridge bus, ten to a request."""

import json
from typing import Any

from customer_bulk.dal.clients import aws_client

PUT_EVENTS_LIMIT = 10
SOURCE = "customer-bulk"


class FlowBus:
    def __init__(self, bus_name: str) -> None:
        self.bus_name = bus_name

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("events")

    def publish(self, events: list[tuple[str, dict[str, Any]]]) -> int:
        """(detail-type, detail) pairs; returns how many EventBridge accepted. Rejected entries are retried twice."""
        sent = 0
        for start in range(0, len(events), PUT_EVENTS_LIMIT):
            pending = [
                {"Source": SOURCE, "DetailType": kind, "Detail": json.dumps(detail), "EventBusName": self.bus_name}
                for kind, detail in events[start : start + PUT_EVENTS_LIMIT]
            ]
            for _ in range(3):
                response = self.client.put_events(Entries=pending)
                results = response.get("Entries", [])
                failed = [entry for entry, result in zip(pending, results, strict=True) if "ErrorCode" in result]
                sent += len(pending) - len(failed)
                pending = failed
                if not pending:
                    break
            if pending:
                raise RuntimeError(f"EventBridge kept refusing {len(pending)} customer events")
        return sent
