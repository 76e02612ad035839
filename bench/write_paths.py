"""Three ways to write a chunk's customers, on the emulator and on AWS's clock (docs/adr/0011).

    python bench/write_paths.py [--items 3000]

Writes the same new customer items (a home and a phone pointer each, built by ``storage_layout`` as a chunk builds
them) into a table of the template's definition on the local stack's emulator (moto behind HTTP, with the local
stack's DynamoDB patches):

- ``batch_write``: unconditional BatchWriteItem, 25 a request, one after another (the design before ADR 11: no
  condition possible);
- ``put_item``: one conditional PutItem per item (``attribute_not_exists(pk)``);
- ``partiql``: the product's own path, ``CustomerStore.write_if_unchanged``: conditional PartiQL INSERTs, 25 a
  BatchExecuteStatement, ``STATEMENT_REQUESTS_AT_ONCE`` requests in flight.

Prints milliseconds per item for each on the emulator, and what a 1,000-item chunk's writes take on AWS's clock
with ``bench/aws_model.py``'s default round trips through the validator's threads (the batch writes one after
another, as that design made them). The last line is one JSON object.
"""

import argparse
import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from customer_bulk.dal.clients import aws_client
from customer_bulk.dal.customers import CustomerStore
from customer_bulk.dal.dynamo import STATEMENT_REQUESTS_AT_ONCE, to_attributes
from customer_bulk.models.customer import Customer
from customer_bulk.storage_layout import Item, KeyWrite, customer_item, key_address, pointer_item
from customer_bulk_local.emulator import fast_dynamodb_answers
from customer_bulk_local.partiql import patch_partiql_writes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from aws_model import DEFAULT_LATENCIES  # type: ignore[import-not-found]  # the bench folder
from import_e2e import customers_table_like  # type: ignore[import-not-found]

TABLE = "customers"
NOW = "2026-12-01T00:00:00+00:00"


def items(start: int, count: int) -> list[Item]:
    """``count`` new customers' items: each one's home (its email) and its phone's pointer."""
    made = []
    for number in range(start, start + count):
        email, phone = f"c{number}@shop.vn", f"+8491{number:07d}"
        customer = Customer(
            customer_id=f"{number:026d}",
            tenant_id="bench",
            version=1,
            created_at=NOW,
            updated_at=NOW,
            fields={"first_name": "Lan", "last_name": "Nguyễn", "email": email, "phone": phone},
        )
        home = key_address("bench", "email", email)
        made.append(customer_item(customer, home))
        made.append(pointer_item(key_address("bench", "phone", phone), home, customer.customer_id))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=3000, help="items per path (two per customer)")
    args = parser.parse_args()
    customers = args.items // 2

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    restore: list[Any] = []
    fast_dynamodb_answers(restore)
    patch_partiql_writes(restore)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ.update(
            AWS_ENDPOINT_URL=f"http://{host}:{port}",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
        )
        aws_client.cache_clear()
        client = boto3.client("dynamodb")
        customers_table_like(client, TABLE)
        measured = {}
        for offset, (name, write) in enumerate(
            (("batch_write", _batch_write), ("put_item", _put_items), ("partiql", _partiql))
        ):
            batch = items(offset * customers, customers)
            started = time.perf_counter()
            write(client, batch)
            measured[name] = (time.perf_counter() - started) * 1000 / len(batch)
        pages = client.get_paginator("scan").paginate(TableName=TABLE, Select="COUNT")
        assert sum(page["Count"] for page in pages) == 3 * len(batch)
    finally:
        server.stop()
        for undo in reversed(restore):
            undo()
    chunk, batch_s, single_s = 1000, DEFAULT_LATENCIES["dynamodb:BatchWriteItem"], DEFAULT_LATENCIES["dynamodb:*"]
    statement_s = DEFAULT_LATENCIES["dynamodb:BatchExecuteStatement"]
    aws = {
        "batch_write": math.ceil(chunk / 25) * batch_s,
        "put_item": math.ceil(chunk / STATEMENT_REQUESTS_AT_ONCE) * single_s,
        "partiql": math.ceil(math.ceil(chunk / 25) / STATEMENT_REQUESTS_AT_ONCE) * statement_s,
    }
    for name in measured:
        print(f"{name}: {measured[name]:.3f} ms an item on the emulator; a 1,000-item chunk on AWS's clock "
              f"{aws[name] * 1000:.0f} ms", file=sys.stderr)  # fmt: skip
    print(
        json.dumps(
            {
                "emulator_ms_per_item": {k: round(v, 3) for k, v in measured.items()},
                "aws_chunk_of_1000_items_ms": {k: round(v * 1000) for k, v in aws.items()},
                "items_per_path": 2 * customers,
            }
        )
    )


def _batch_write(client: Any, batch: list[Item]) -> None:
    for start in range(0, len(batch), 25):
        requests = [{"PutRequest": {"Item": to_attributes(item)}} for item in batch[start : start + 25]]
        client.batch_write_item(RequestItems={TABLE: requests})


def _put_items(client: Any, batch: list[Item]) -> None:
    for item in batch:
        client.put_item(TableName=TABLE, Item=to_attributes(item), ConditionExpression="attribute_not_exists(pk)")


def _partiql(_: Any, batch: list[Item]) -> None:
    refused = CustomerStore(TABLE).write_if_unchanged([KeyWrite(item["pk"], item, None) for item in batch])
    assert not refused, refused


if __name__ == "__main__":
    main()
