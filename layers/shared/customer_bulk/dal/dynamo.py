"""DynamoDB items as plain Python values, and batched reads and writes that finish what DynamoDB leaves over."""

import random
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from customer_bulk.dal.clients import aws_client

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
BATCH_STATEMENT_LIMIT = 25
STATEMENT_REQUESTS_AT_ONCE = 8  # a chunk's conditional writes: 1,000 items in 40 requests, 8 in flight
FAILED_CONDITION = frozenset({"ConditionalCheckFailed", "DuplicateItem"})
RETRIED_STATEMENT = frozenset(
    {"ProvisionedThroughputExceeded", "RequestLimitExceeded", "ThrottlingError", "InternalServerError"}
    | {"TransactionConflict"}
)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_attributes(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(_storable(value)) for name, value in item.items() if _keep(value)}


def from_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in attributes.items()}


def batch_get(table: str, keys: Iterable[dict[str, str]], consistent: bool = True) -> list[dict[str, Any]]:
    """All items that exist among ``keys`` (plain values), 100 keys a request."""
    client = aws_client("dynamodb")
    found: list[dict[str, Any]] = []
    for batch in _batches([to_attributes(key) for key in keys], BATCH_GET_LIMIT):
        request: dict[str, Any] = {table: {"Keys": batch, "ConsistentRead": consistent}}
        for attempt in _attempts():
            response = client.batch_get_item(RequestItems=request)
            found.extend(from_attributes(item) for item in response["Responses"].get(table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            _back_off(attempt)
    return found


def batch_write(table: str, puts: Iterable[dict[str, Any]], delete_keys: Iterable[dict[str, str]]) -> int:
    """Put and delete items, 25 a request; returns the number of requests made."""
    client = aws_client("dynamodb")
    requests = [{"PutRequest": {"Item": to_attributes(item)}} for item in puts]
    requests += [{"DeleteRequest": {"Key": to_attributes(key)}} for key in delete_keys]
    calls = 0
    for batch in _batches(requests, BATCH_WRITE_LIMIT):
        pending: dict[str, Any] = {table: batch}
        for attempt in _attempts():
            calls += 1
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            _back_off(attempt)
    return calls


def batch_statements(statements: list[tuple[str, list[Any]]]) -> list[str | None]:
    """Run PartiQL write statements (text, plain parameter values), 25 a request and several requests at once;
    each statement's failed condition (``ConditionalCheckFailed``, ``DuplicateItem``) or None. Throttled
    statements are run again with backoff; any other error is raised."""
    client = aws_client("dynamodb")
    requests = [
        {"Statement": text, "Parameters": [_serializer.serialize(_storable(value)) for value in values]}
        for text, values in statements
    ]

    def run(batch: list[dict[str, Any]]) -> list[str | None]:
        results: list[str | None] = [None] * len(batch)
        pending = list(range(len(batch)))
        for attempt in _attempts():
            answers = client.batch_execute_statement(Statements=[batch[i] for i in pending])["Responses"]
            retry = []
            for index, answer in zip(pending, answers, strict=True):
                code = (answer.get("Error") or {}).get("Code")
                if code in RETRIED_STATEMENT:
                    retry.append(index)
                elif code in FAILED_CONDITION:
                    results[index] = code
                elif code is not None:
                    message = answer["Error"].get("Message", "")
                    raise RuntimeError(f"DynamoDB refused {batch[index]['Statement'][:80]!r}: {code} {message}")
            if not retry:
                return results
            pending = retry
            _back_off(attempt)
        return results  # unreachable: _attempts raises when it runs out

    batches = list(_batches(requests, BATCH_STATEMENT_LIMIT))
    if len(batches) <= 1:
        return [code for batch in batches for code in run(batch)]
    with ThreadPoolExecutor(min(STATEMENT_REQUESTS_AT_ONCE, len(batches))) as pool:
        return [code for answers in pool.map(run, batches) for code in answers]


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _attempts() -> Iterator[int]:
    yield from range(12)
    raise RuntimeError("DynamoDB kept returning unprocessed items; giving up so the message is retried")


def _back_off(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))


def _keep(value: Any) -> bool:
    return value is not None and not (isinstance(value, (set, frozenset)) and not value)


def _storable(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        # Inside a map, None is data (a column mapped to "do not import"): kept as DynamoDB NULL.
        return {key: _storable(item) for key, item in value.items() if item is None or _keep(item)}
    if isinstance(value, (list, tuple)):
        return [_storable(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, set):
        return {_plain(item) for item in value}
    return value
