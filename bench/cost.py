"""What an import or an export costs on AWS per 1,000,000 rows, from every AWS call of real local runs.

    python bench/cost.py [--rows 3000]

Runs five scenarios on the local stack with the local Lambda runtime's call recorder on (``bench/aws_model.py``'s
recording, item sizes and capacity units, reused): new customers; the same file again (unchanged); the file with
10 % of its rows changed; a preview of new customers, then its confirm; an export of all customers. Every call the
functions make is counted by service and operation and priced at the list prices below; Lambda is priced from each
invocation's measured duration times the memory the template gives the function. Status polls by the watching
client (API invocations that only read) are left out. An unchanged re-import must make no write to the customers
table: the script fails if it does. Writes ``docs/cost.md``; the last line of output is one JSON object with the
per-scenario total per 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aws_model import Capacity, _function_settings, call_of, tables_of  # type: ignore[import-not-found]

# ---------------------------------------------------------------- prices
# us-east-1, on-demand list prices as of 2026-12 (check them before relying on the figures):
#   DynamoDB: https://aws.amazon.com/dynamodb/pricing/on-demand/
#   S3: https://aws.amazon.com/s3/pricing/        SQS: https://aws.amazon.com/sqs/pricing/
#   Lambda: https://aws.amazon.com/lambda/pricing/  Step Functions: https://aws.amazon.com/step-functions/pricing/
#   SES: https://aws.amazon.com/ses/pricing/      EventBridge: https://aws.amazon.com/eventbridge/pricing/
PRICES_AS_OF = "2026-12"
PRICES = {
    "dynamodb_wru": 0.625 / 1e6,  # per write request unit (on-demand, Standard table class)
    "dynamodb_rru": 0.125 / 1e6,  # per read request unit
    "s3_put": 0.005 / 1000,  # PUT, COPY, POST, LIST (S3 Standard)
    "s3_get": 0.0004 / 1000,  # GET, HEAD and the rest
    "s3_gb_month": 0.023,  # S3 Standard storage, first 50 TB
    "sqs_standard": 0.40 / 1e6,  # per request (64 KB chunk), beyond the free tier
    "sqs_fifo": 0.50 / 1e6,
    "lambda_gb_s": 0.0000166667,  # x86
    "lambda_request": 0.20 / 1e6,
    "sfn_transition": 0.025 / 1000,  # Standard workflows
    "ses_email": 0.10 / 1000,
    "eventbridge_event": 1.00 / 1e6,  # custom events put
}
S3_PUT_CLASS = {"PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "UploadPart",
                "CreateMultipartUpload", "CompleteMultipartUpload"}  # fmt: skip
SQS_CHUNK = 64 * 1024
SERVICES = ("dynamodb", "s3", "sqs", "lambda", "stepfunctions", "ses", "events")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Tally:
    rows: int
    calls: Counter[str] = field(default_factory=Counter)  # service:operation -> requests
    capacity: Capacity = field(default_factory=Capacity)
    customer_writes: int = 0  # write requests (items) sent to the customers table
    s3_put: int = 0
    s3_get: int = 0
    s3_bytes_stored: int = 0
    sqs_standard: int = 0
    sqs_fifo: int = 0
    lambda_invocations: int = 0
    lambda_gb_s: float = 0.0
    sfn_transitions: int = 0
    emails: int = 0
    events: int = 0
    polls_left_out: int = 0

    def cost(self) -> dict[str, float]:
        p = PRICES
        return {
            "dynamodb": sum(self.capacity.wru.values()) * p["dynamodb_wru"]
            + sum(self.capacity.rru.values()) * p["dynamodb_rru"],
            "s3": self.s3_put * p["s3_put"] + self.s3_get * p["s3_get"] + self.s3_bytes_stored / 1e9 * p["s3_gb_month"],
            "sqs": self.sqs_standard * p["sqs_standard"] + self.sqs_fifo * p["sqs_fifo"],
            "lambda": self.lambda_gb_s * p["lambda_gb_s"] + self.lambda_invocations * p["lambda_request"],
            "stepfunctions": self.sfn_transitions * p["sfn_transition"],
            "ses": self.emails * p["ses_email"],
            "events": self.events * p["eventbridge_event"],
        }

    def per_million(self) -> dict[str, float]:
        return {service: value * 1e6 / self.rows for service, value in self.cost().items()}


class Stack:
    """The local stack with the recorder on, and what the template says about functions, queues and tables."""

    def __init__(self) -> None:
        from customer_bulk_local.lambda_runtime import CallRecorder
        from customer_bulk_local.product import start_stack

        self.stack = start_stack()
        assert self.stack.runtime is not None
        self.recorder = self.stack.runtime.recorder = CallRecorder()
        self.tables = tables_of(self.stack)
        self.customers_table = self.stack.physical("CustomersTable")["Name"]
        self.memory, _ = _function_settings(self.stack)
        resources = self.stack.template["Resources"]
        self.sqs_triggered: dict[str, bool] = {}  # function -> its queue is FIFO
        self.sfn_tasks: set[str] = set()
        for logical_id, resource in resources.items():
            if resource.get("Type") == "AWS::Serverless::Function":
                for event in (resource["Properties"].get("Events") or {}).values():
                    if event.get("Type") == "SQS":
                        queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                        fifo = bool(resources[queue]["Properties"].get("FifoQueue"))
                        self.sqs_triggered[logical_id] = fifo
            if resource.get("Type") == "AWS::Serverless::StateMachine":
                for value in (resource["Properties"].get("DefinitionSubstitutions") or {}).values():
                    self.sfn_tasks.add(value["Fn::GetAtt"][0] if isinstance(value, dict) else value.split(".")[0])

    def mark(self) -> int:
        return len(self.recorder.invocations)

    def tally(self, since: int, rows: int) -> Tally:
        tally = Tally(rows)
        for invocation in self.recorder.invocations[since:]:
            reads_only = all(c.service == "dynamodb" and c.operation in ("GetItem", "Query") for c in invocation.calls)
            if invocation.function == "ApiFunction" and reads_only:
                tally.polls_left_out += 1
                continue
            tally.lambda_invocations += 1
            tally.lambda_gb_s += invocation.wall_s * self.memory.get(invocation.function, 128) / 1024
            if invocation.function in self.sfn_tasks:
                tally.sfn_transitions += 1
            if invocation.function in self.sqs_triggered:  # the event source mapping: a receive and a delete
                fifo = self.sqs_triggered[invocation.function]
                tally.calls["sqs:ReceiveMessage (event source)"] += 1
                tally.calls["sqs:DeleteMessageBatch (event source)"] += 1
                if fifo:
                    tally.sqs_fifo += 2
                else:
                    tally.sqs_standard += 2
            last_size: dict[str, int] = {}
            for call in invocation.calls:
                priced = call_of(call, self.tables, tally.capacity, last_size)
                self._count(tally, call, priced.bytes)
        return tally

    def _count(self, tally: Tally, call: Any, moved_bytes: int) -> None:
        service, operation, params = call.service, call.operation, call.params
        tally.calls[f"{service}:{operation}"] += 1
        if service == "dynamodb":
            if operation == "BatchExecuteStatement":
                table = f'"{self.customers_table}"'
                statements = [s["Statement"].split(" WHERE")[0] for s in params["Statements"]]
                tally.customer_writes += sum(1 for text in statements if table in text)
            elif operation == "BatchWriteItem":
                tally.customer_writes += len(params["RequestItems"].get(self.customers_table, []))
            elif operation in ("PutItem", "UpdateItem", "DeleteItem") and params["TableName"] == self.customers_table:
                tally.customer_writes += 1
        elif service == "s3":
            if operation in S3_PUT_CLASS:
                tally.s3_put += 1
                tally.s3_bytes_stored += moved_bytes
            else:
                tally.s3_get += 1
        elif service == "sqs":
            if operation == "SendMessageBatch":
                size = sum(len(e["MessageBody"].encode()) for e in params["Entries"])
            else:
                size = len(str(params.get("MessageBody", "")).encode())
            requests = max(1, math.ceil(size / SQS_CHUNK))
            if str(params.get("QueueUrl", "")).endswith(".fifo"):
                tally.sqs_fifo += requests
            else:
                tally.sqs_standard += requests
        elif service in ("ses", "sesv2"):
            destination = params.get("Destination") or {}
            tally.emails += max(
                1, sum(len(destination.get(k, [])) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
            )
        elif service == "events" and operation == "PutEvents":
            tally.events += len(params.get("Entries", []))
        elif (
            service == "stepfunctions"
            and operation == "StartExecution"
            and "export" in str(params.get("stateMachineArn", "")).lower()
        ):
            tally.sfn_transitions += 1  # the export's Map state (its iterations are the exporter's tasks)


# ---------------------------------------------------------------- scenarios


def workbook(path: Path, rows: int, changed_every: int = 0) -> Path:
    """bench/import_e2e.py's workbook of ``rows`` customers; every ``changed_every``-th row with a new first name."""
    from customer_bulk_local.samples import people, write_xlsx

    def cells() -> Any:
        for index, p in enumerate(people(rows, seed=7)):
            first = f"{p.first_name} B" if changed_every and index % changed_every == 0 else p.first_name
            yield [first, p.last_name, p.email, f"0{p.phone_digits}"]

    return write_xlsx(path, ["First Name", "Last Name", "Email", "Phone"], cells())  # type: ignore[arg-type]


def run_import(local: Stack, tenant: str, path: Path, rows: int, preview: bool = False) -> tuple[Tally, dict[str, Any]]:
    from customer_bulk_local.client import ApiClient

    client = ApiClient(local.stack.api_url, tenant, f"{tenant}@example.com")
    since = local.mark()
    created = client.create_import(path.name, {"force": True, "preview": preview})
    client.upload(created["upload"], path)
    status = client.wait(created["job_id"], timeout_s=1800, poll_s=1)
    if preview:
        assert status["status"] == "previewed", status
        client.confirm(created["job_id"])
        status = client.wait(created["job_id"], timeout_s=1800, poll_s=1)
    assert status["status"] == "completed", status
    local.stack.wait_until_idle()
    tally = local.tally(since, rows)
    # The client's upload (a presigned POST: an S3 PUT-class request, the file stored) and S3's event message.
    tally.s3_put += 1
    tally.s3_bytes_stored += path.stat().st_size
    tally.sqs_standard += 1
    tally.calls["s3:PostObject (client upload)"] += 1
    tally.calls["sqs:SendMessage (S3 event)"] += 1
    return tally, status


def run_export(local: Stack, tenant: str, rows: int) -> tuple[Tally, dict[str, Any]]:
    from customer_bulk_local.client import FINAL, ApiClient

    client = ApiClient(local.stack.api_url, tenant, f"{tenant}@example.com")
    since = local.mark()
    created = client.create_export({})
    deadline = time.monotonic() + 1800
    status = client.export_status(created["export_id"])
    while status["status"] not in FINAL and time.monotonic() < deadline:
        time.sleep(1)
        status = client.export_status(created["export_id"])
    assert status["status"] == "completed", status
    local.stack.wait_until_idle()
    return local.tally(since, rows), status


# ---------------------------------------------------------------- report

TITLES = {
    "new": "new customers",
    "unchanged": "unchanged re-import",
    "changed_10pct": "10 % changed",
    "preview_confirm": "preview + confirm (new)",
    "export": "export of all",
}


def document(rows: int, tallies: dict[str, Tally], statuses: dict[str, dict[str, Any]]) -> str:
    command = "python bench/cost.py" + (f" --rows {rows}" if rows != 3000 else "")
    lines = [
        "# Cost per 1,000,000 rows",
        "",
        f"Computed by `{command}` from the counted AWS calls of real runs of {rows:,} rows on the local stack, at",
        f"us-east-1 on-demand list prices as of {PRICES_AS_OF} (the table at the top of `bench/cost.py`, with its",
        "source pages; check the current prices before quoting these). Regenerate this page with the same command.",
        "",
        "| per 1M rows | total | " + " | ".join(SERVICES) + " |",
        "|---|---:|" + "---:|" * len(SERVICES),
    ]
    for name, tally in tallies.items():
        split = tally.per_million()
        cells = " | ".join(f"${split[s]:.3f}" for s in SERVICES)
        lines.append(f"| {TITLES[name]} | **${sum(split.values()):.2f}** | {cells} |")
    lines += [
        "",
        "(`events`: EventBridge; `lambda`: requests and GB-seconds; `s3`: requests and a month of the bytes written.)",
        "",
        "## Units per 1,000 rows",
        "",
        "| per 1,000 rows | " + " | ".join(TITLES[n] for n in tallies) + " |",
        "|---|" + "---:|" * len(tallies),
    ]
    metrics: dict[str, Any] = {
        "DynamoDB WRU": lambda t: sum(t.capacity.wru.values()),
        "DynamoDB RRU": lambda t: sum(t.capacity.rru.values()),
        "customer-table write requests (items)": lambda t: t.customer_writes,
        "S3 PUT-class requests": lambda t: t.s3_put,
        "S3 GET-class requests": lambda t: t.s3_get,
        "S3 MB written": lambda t: t.s3_bytes_stored / 1e6,
        "SQS requests (standard)": lambda t: t.sqs_standard,
        "SQS requests (FIFO)": lambda t: t.sqs_fifo,
        "Lambda invocations": lambda t: t.lambda_invocations,
        "Lambda GB-s (local durations)": lambda t: t.lambda_gb_s,
        "Step Functions transitions": lambda t: t.sfn_transitions,
        "SES emails": lambda t: t.emails,
        "EventBridge events": lambda t: t.events,
    }
    for label, metric in metrics.items():
        lines.append(f"| {label} | " + " | ".join(f"{metric(t) * 1000 / t.rows:.2f}" for t in tallies.values()) + " |")
    lines += ["", "Calls per 1,000 rows, by service and operation:", ""]
    operations = sorted({op for t in tallies.values() for op in t.calls})
    lines += [
        "| call | " + " | ".join(TITLES[n] for n in tallies) + " |",
        "|---|" + "---:|" * len(tallies),
    ]
    for op in operations:
        lines.append(f"| `{op}` | " + " | ".join(f"{t.calls[op] * 1000 / t.rows:.2f}" for t in tallies.values()) + " |")
    outcome = ", ".join(
        f"{TITLES[n]}: " + " ".join(f"{k} {s[k]}" for k in ("created", "updated", "unchanged") if k in s)
        for n, s in statuses.items()
        if n != "export"
    )
    lines += [
        "",
        "## Unchanged rows write no customer",
        "",
        f"The unchanged re-import sent {tallies['unchanged'].customer_writes} write requests to the customers table",
        "(the script fails if it sends any): an unchanged row costs its reads, never a customer write. Outcomes of",
        f"the runs: {outcome}.",
        "",
        "## Assumptions",
        "",
        "- Every AWS call a function made is counted, from the local Lambda runtime's call recorder. Capacity units",
        "  come from the items sent and answered, sized by DynamoDB's rules (`bench/aws_model.py`): a write 1 WRU a",
        "  started KB on the table and on each index the item lands in, a read 1 RRU a started 4 KB (half if",
        "  eventually consistent); an update is sized as the item last read. Standard table class, on-demand.",
        "  Customers are written by conditional PartiQL statements (docs/adr/0011), priced as the same writes; a",
        "  statement whose condition fails still costs its write. The customers table's pre-warmed throughput",
        "  (`WarmThroughput` in the template) is a one-time charge when it is set, not a cost per row: not here.",
        "- Lambda: one request per invocation and GB-seconds from the duration measured on the local stack times",
        "  the template's `MemorySize`. The emulator is slower than AWS, so this overstates Lambda's share.",
        "- SQS: the functions' sends (one request a started 64 KB), S3's event message for each upload, and for each",
        "  SQS-triggered invocation one receive and one delete by the event source mapping; the empty polls of",
        "  the mapping's long polling are not counted (they cost the same whatever the rows).",
        "- S3: the client's presigned upload (one PUT-class request) and every request of the functions; the bytes",
        "  written are priced as one month of S3 Standard storage. Downloads by people (the error report, the",
        "  export's parts) are not counted, nor data transfer out.",
        "- Step Functions (Standard): one transition per task invoked, plus the export's Map state.",
        "- Status polls by the watching client (API invocations that only read) are left out"
        + f" ({sum(t.polls_left_out for t in tallies.values())} in this run); the API calls that start,",
        "  confirm and export are counted. API Gateway, KMS, CloudWatch Logs, X-Ray and the free tiers are not.",
        f"- Scale: {rows:,} rows a scenario, scaled linearly to 1,000,000 (per-job fixed costs are thereby",
        "  overstated for bigger files). The preview + confirm scenario imports the same rows as new customers",
        "  of another tenant. The export exports the first tenant's customers.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    args = parser.parse_args()
    rows = args.rows
    tallies: dict[str, Tally] = {}
    statuses: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        original = workbook(Path(scratch) / f"cost-{rows}.xlsx", rows)
        changed = workbook(Path(scratch) / f"cost-{rows}-changed.xlsx", rows, changed_every=10)
        local = Stack()
        try:
            tallies["new"], statuses["new"] = run_import(local, "bench", original, rows)
            assert statuses["new"]["created"] == rows, statuses["new"]
            tallies["unchanged"], statuses["unchanged"] = run_import(local, "bench", original, rows)
            assert statuses["unchanged"]["unchanged"] == rows, statuses["unchanged"]
            if tallies["unchanged"].customer_writes:
                raise SystemExit(
                    f"FAIL: an unchanged re-import made {tallies['unchanged'].customer_writes} customer-table writes"
                )
            tallies["changed_10pct"], statuses["changed_10pct"] = run_import(local, "bench", changed, rows)
            assert statuses["changed_10pct"]["updated"] == math.ceil(rows / 10), statuses["changed_10pct"]
            tallies["preview_confirm"], statuses["preview_confirm"] = run_import(
                local, "bench-preview", original, rows, preview=True
            )
            assert statuses["preview_confirm"]["created"] == rows, statuses["preview_confirm"]
            tallies["export"], statuses["export"] = run_export(local, "bench", rows)
        finally:
            local.stack.stop()
    (ROOT / "docs" / "cost.md").write_text(document(rows, tallies, statuses), encoding="utf-8")
    for name, tally in tallies.items():
        split = tally.per_million()
        detail = ", ".join(f"{s} ${v:.3f}" for s, v in split.items() if v)
        print(f"{TITLES[name]}: ${sum(split.values()):.2f} per 1M rows ({detail})", file=sys.stderr)
    result = {"rows": rows, "prices_as_of": PRICES_AS_OF}
    result.update({name: round(sum(t.per_million().values()), 4) for name, t in tallies.items()})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
