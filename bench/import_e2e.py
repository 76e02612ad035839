"""End-to-end import speed on the local stack, beside the emulator's floor, measured in the same run.

    python bench/import_e2e.py [--rows 30000]

1. Generates an .xlsx of N new customers (each with an email and a Vietnamese mobile number).
2. Imports it through the HTTP API exactly as the CLI does: presigned POST, splitter, FIFO chunks, validators,
   DynamoDB, state machine, error report, SES. ``wall_s`` runs from creating the job to the notice being sent.
3. Floor: the same customer items, read back from the customers table, written again by bare batch_write_item
   (25 a request, one thread) into a fresh table of the same definition (same keys and indexes). Also reported:
   the storage floor, every item the import stored (customers plus the phone pointer items), written the same way.

The last line is one JSON object: rows, wall_s, floor_s, ratio, dynamodb_requests_per_1000_rows and details.
"""

import argparse
import json
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

from customer_bulk_local.client import ApiClient
from customer_bulk_local.emulator import LocalStack
from customer_bulk_local.product import start_stack
from customer_bulk_local.samples import people, write_xlsx
from customer_bulk_local.template import load_template, table_definition


def generate(path: Path, rows: int) -> Path:
    return write_xlsx(
        path,
        ["First Name", "Last Name", "Email", "Phone"],
        ([p.first_name, p.last_name, p.email, f"0{p.phone_digits}"] for p in people(rows, seed=7)),  # type: ignore[arg-type]
    )


def run_import(stack: LocalStack, path: Path) -> dict[str, Any]:
    client = ApiClient(stack.api_url, "bench", "bench@example.com")
    polls = 0

    def count_poll(_: dict[str, Any]) -> None:
        nonlocal polls
        polls += 1

    before = stack.request_counts()
    started = time.perf_counter()
    created = client.create_import(path.name)
    client.upload(created["upload"], path)
    status = client.wait(created["job_id"], timeout_s=3600, poll_s=2, on_progress=count_poll)
    wall = time.perf_counter() - started
    after = stack.request_counts()
    dynamodb = {
        k: after[k] - before.get(k, 0) for k in after if k.startswith("dynamodb:") and after[k] - before.get(k, 0)
    }
    # Each progress poll is one GetItem by the API for the watching client, not work of the import itself.
    dynamodb["dynamodb:GetItem"] -= polls
    return {"status": status, "wall_s": wall, "dynamodb": dynamodb, "status_polls": polls}


def floor(stack: LocalStack, expected_customers: int) -> dict[str, Any]:
    """The issue's floor (the customer items), and the storage floor (every item the import stored: customers
    and the pointer items that keep phones unique, docs/adr/0002), each written bare into a fresh table."""
    ddb = stack.client("dynamodb")
    table = stack.physical("CustomersTable")["Name"]
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    customers = [item for item in items if item["kind"]["S"] == "customer"]
    assert len(customers) == expected_customers, (len(customers), expected_customers)
    customers_s, customer_requests = _bare_writes(ddb, "floor-customers", customers)
    storage_s, _ = _bare_writes(ddb, "floor-storage", items)
    return {
        "floor_s": customers_s,
        "floor_requests": customer_requests,
        "storage_floor_s": storage_s,
        "stored_items": len(items),
    }


@cache
def _customers_table() -> dict[str, Any]:
    template = load_template(Path(__file__).resolve().parents[1] / "template.yaml")
    return table_definition(template["Resources"]["CustomersTable"]["Properties"])


def customers_table_like(ddb: Any, name: str) -> None:
    """A table of the template's customers table definition (its keys and indexes)."""
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **_customers_table())


def _bare_writes(ddb: Any, name: str, items: list[dict[str, Any]]) -> tuple[float, int]:
    customers_table_like(ddb, name)
    started = time.perf_counter()
    requests = 0
    for start in range(0, len(items), 25):
        pending: dict[str, Any] = {name: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while pending:
            requests += 1
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - started, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=30_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = generate(Path(scratch) / f"bench-{args.rows}.xlsx", args.rows)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
        stack = start_stack()
        try:
            imported = run_import(stack, path)
            status = imported["status"]
            assert status["status"] == "completed" and status["created"] == args.rows, status
            measured = floor(stack, args.rows)
        finally:
            stack.stop()
    dynamodb_requests = sum(imported["dynamodb"].values())
    result = {
        "rows": args.rows,
        "wall_s": round(imported["wall_s"], 2),
        "floor_s": round(measured["floor_s"], 2),
        "ratio": round(imported["wall_s"] / measured["floor_s"], 2),
        "dynamodb_requests_per_1000_rows": round(dynamodb_requests * 1000 / args.rows, 1),
        "dynamodb_requests": imported["dynamodb"],
        "floor_requests": measured["floor_requests"],
        "storage_floor_s": round(measured["storage_floor_s"], 2),
        "storage_ratio": round(imported["wall_s"] / measured["storage_floor_s"], 2),
        "stored_items": measured["stored_items"],
        "rows_per_s": round(args.rows / imported["wall_s"]),
    }
    print(f"import: {result['wall_s']} s, floor: {result['floor_s']} s, ratio {result['ratio']}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
