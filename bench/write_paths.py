"""Three ways to write a chunk's customers, on the emulator and on AWS's clock (docs/adr/0011).

    python bench/write_paths.py [--items 3000]

Writes the same new customer items (a home and a phone pointer each, the shape a chunk writes) into a table of the
template's definition on the local stack's emulator (moto behind HTTP, with the local stack's DynamoDB patches):

- ``batch_write``: unconditional BatchWriteItem, 25 a request (the design before ADR 11: no condition possible);
- ``put_item``: one conditional PutItem per item (``attribute_not_exists(pk)``);
- ``partiql``: conditional PartiQL INSERTs, 25 a BatchExecuteStatement, as ``CustomerStore.write_if_unchanged``.

Prints milliseconds per item for each on the emulator, and what a 1,000-item chunk's writes take on AWS's clock
with ``bench/aws_model.py``'s default round trips (BatchWriteItem and BatchExecuteStatement 15 ms, other DynamoDB
calls 6 ms) through the validator's 8 threads (the batch writes one after another, as that design made them). The
last line is one JSON object.
"""

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

import boto3

from customer_bulk_local.emulator import fast_dynamodb_answers
from customer_bulk_local.partiql import patch_partiql_writes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_e2e import customers_table_like  # type: ignore[import-not-found]  # the bench folder

THREADS = 8  # dal.dynamo.STATEMENT_REQUESTS_AT_ONCE
ROUND_TRIP_S = {"batch": 0.015, "single": 0.006}


def items(start: int, count: int) -> list[dict[str, Any]]:
    made = []
    for number in range(start, start + count):
        home = f"bench#E#c{number}@shop.vn"
        made.append(
            {
                "pk": {"S": home},
                "kind": {"S": "customer"},
                "customer_id": {"S": f"{number:026d}"},
                "tenant_id": {"S": "bench"},
                "tenant_shard": {"S": f"bench#{number % 16:02d}"},
                "version": {"N": "1"},
                "first_name": {"S": "Lan"},
                "last_name": {"S": "Nguyễn"},
                "email": {"S": f"c{number}@shop.vn"},
                "phone": {"S": f"+8491{number:07d}"},
            }
        )
        pointer = f"bench#P#+8491{number:07d}"
        made.append({"pk": {"S": pointer}, "kind": {"S": "pointer"}, "home": {"S": home}})
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
        client = boto3.client(
            "dynamodb",
            endpoint_url=f"http://{host}:{port}",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        customers_table_like(client, "customers")
        measured = {}
        for offset, (name, write) in enumerate(
            (("batch_write", _batch_write), ("put_item", _put_items), ("partiql", _partiql))
        ):
            batch = items(offset * customers, customers)
            started = time.perf_counter()
            write(client, batch)
            measured[name] = (time.perf_counter() - started) * 1000 / len(batch)
        pages = client.get_paginator("scan").paginate(TableName="customers", Select="COUNT")
        assert sum(page["Count"] for page in pages) == 3 * len(batch)
    finally:
        server.stop()
        for undo in reversed(restore):
            undo()
    chunk = 1000
    aws = {
        "batch_write": math.ceil(chunk / 25) * ROUND_TRIP_S["batch"],
        "put_item": math.ceil(chunk / THREADS) * ROUND_TRIP_S["single"],
        "partiql": math.ceil(math.ceil(chunk / 25) / THREADS) * ROUND_TRIP_S["batch"],
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


def _batch_write(client: Any, batch: list[dict[str, Any]]) -> None:
    for start in range(0, len(batch), 25):
        client.batch_write_item(
            RequestItems={"customers": [{"PutRequest": {"Item": i}} for i in batch[start : start + 25]]}
        )


def _put_items(client: Any, batch: list[dict[str, Any]]) -> None:
    for item in batch:
        client.put_item(TableName="customers", Item=item, ConditionExpression="attribute_not_exists(pk)")


def _partiql(client: Any, batch: list[dict[str, Any]]) -> None:
    for start in range(0, len(batch), 25):
        statements = []
        for item in batch[start : start + 25]:
            names = list(item)
            fields = ", ".join(f"'{name}': ?" for name in names)
            statements.append(
                {"Statement": f'INSERT INTO "customers" VALUE {{{fields}}}', "Parameters": [item[n] for n in names]}
            )
        answers = client.batch_execute_statement(Statements=statements)["Responses"]
        assert not any("Error" in answer for answer in answers), answers


if __name__ == "__main__":
    main()
