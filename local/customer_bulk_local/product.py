"""What the local stack needs to know about customer-bulk itself: the one place where the generic emulator
(template, S3, SQS, API, Lambda) meets the product package.

- parameters the template needs that a deployment would be asked for (issuer, audience, sender);
- the demo tenants seeded at start;
- what ends with an invocation on Lambda but not in one shared process (unpublished metrics, the signing key an
  execution environment read once), and the per-process clients to drop when the endpoint changes.
"""

from typing import Any

from customer_bulk_local.emulator import LocalStack, LocalStackOptions, ProductHooks
from customer_bulk_local.tenants import DEMO_TENANTS

LOCAL_PARAMETERS = {
    "JwtIssuer": "https://issuer.local",
    "JwtAudience": "customer-bulk-local",
    "SenderEmail": "imports@customer-bulk.local",
}


class CustomerBulkHooks(ProductHooks):
    def seed(self, stack: LocalStack) -> None:
        from customer_bulk.dal import stores

        for tenant_id, settings in DEMO_TENANTS.items():
            stores().jobs.put_tenant_settings(tenant_id, settings)

    def end_invocation(self) -> None:
        """With metrics disabled, Powertools never flushes, and one process serves every invocation: the values
        would pile up until its 100-value limit makes it publish (which it does even when disabled, and fails
        without a namespace). Each execution environment reads the signing key itself, and needs the right to."""
        from customer_bulk import dal
        from customer_bulk.observability import metrics

        metrics.clear_metrics()
        dal.link_signing_key.cache_clear()
        dal.webhook_signing_key.cache_clear()

    def reset_clients(self) -> None:
        """Our data-access layer caches clients per process: drop them when the endpoint changes."""
        from customer_bulk import dal, settings
        from customer_bulk.dal import clients

        clients.aws_client.cache_clear()
        settings.get_settings.cache_clear()
        dal.stores.cache_clear()
        dal.link_signing_key.cache_clear()
        dal.webhook_signing_key.cache_clear()

    def environment(self) -> dict[str, str]:
        """Webhooks go to this machine only (tests' receivers on 127.0.0.1), never to the network (docs/adr/0010)."""
        return {"WEBHOOK_LOOPBACK_ONLY": "true"}


def stack_options(**options: Any) -> LocalStackOptions:
    """Options for a local stack of customer-bulk: its template, its parameters, its hooks."""
    parameters = {**LOCAL_PARAMETERS, **options.pop("parameters", {})}
    return LocalStackOptions(parameters=parameters, hooks=CustomerBulkHooks(), **options)


def start_stack(**options: Any) -> LocalStack:
    return LocalStack(stack_options(**options)).start()


class JobFeed:
    """One line per job event for `customer-bulk serve`: a job (import or export) appearing or changing status."""

    def __init__(self, stack: LocalStack) -> None:
        self.client = stack.client("dynamodb")  # polled twice a second: built once
        self.table = stack.physical("JobsTable")["Name"]
        self.seen: dict[str, str] = {}

    def poll(self) -> list[str]:
        from customer_bulk.dal.dynamo import from_attributes

        lines = []
        for page in self.client.get_paginator("scan").paginate(TableName=self.table):
            for item in (from_attributes(raw) for raw in page["Items"]):
                kind = str(item["sk"]).split("#", 1)[0]
                if kind not in ("JOB", "EXPORT") or self.seen.get(item["sk"]) == item.get("status"):
                    continue
                self.seen[item["sk"]] = str(item.get("status"))
                lines.append(_event_line(kind, item))
        return lines


def _event_line(kind: str, item: dict[str, Any]) -> str:
    tenant, status = item["tenant_id"], item.get("status")
    if kind == "EXPORT":
        return f"export {item['export_id']} {tenant}: {status}" + (
            f", {item['rows']:,} rows" if item.get("rows") else ""
        )
    line = f"import {item['job_id']} {tenant} {item.get('file_name', '')}: {status}"
    if status in ("completed", "rolled_back", "previewed"):
        prefix = "preview_" if status == "previewed" else ""
        counts = {name: item.get(f"{prefix}n_{name}", 0) for name in ("created", "updated", "unchanged", "invalid")}
        line += " (" + ", ".join(f"{value:,} {name}" for name, value in counts.items()) + ")"
    elif item.get("error"):
        line += f" ({item['error']})"
    return line
