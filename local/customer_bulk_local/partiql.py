"""PartiQL writes on the emulator, at the speed of a batch write and with DynamoDB's semantics.

moto runs every PartiQL statement by copying every item of every table into its parser, so one statement costs
the size of the tables: a 30,000-row import's conditional writes would take hours. The product writes customers
with three statement shapes only (docs/adr/0011), executed here straight against moto's tables:

- ``INSERT INTO "T" VALUE {'a': ?, ...}``: ``DuplicateItem`` when an item with the key exists;
- ``UPDATE "T" SET "a" = ? ... REMOVE "b" ... WHERE "pk" = ? AND "x" = ? ...``: ``ConditionalCheckFailed`` when no
  item has the key or a condition does not hold (PartiQL's UPDATE never creates an item);
- ``DELETE FROM "T" WHERE "pk" = ? AND "x" = ? ...``: the same.

What DynamoDB refuses is refused: more than 25 statements, a statement over 8,192 characters, two statements on
one item, an UPDATE of a key attribute, an item over 400 KB. A batch holding any other statement goes to moto's own
implementation.

A statement's check and write happen under one lock that moto's other item writes (PutItem, UpdateItem,
DeleteItem, BatchWriteItem, TransactWriteItems) take too, so a concurrent writer lands before or after, never in
between: what DynamoDB guarantees for a conditional write.
"""

import re
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

BATCH_LIMIT = 25
STATEMENT_LIMIT = 8192  # characters of one statement's text
_lock = threading.RLock()
_NAME = r'"((?:[^"]|"")+)"'
_INSERT = re.compile(rf"^\s*INSERT\s+INTO\s+{_NAME}\s+VALUE\s+\{{(.*)\}}\s*$", re.I | re.S)
_INSERT_FIELD = re.compile(r"\s*'((?:[^']|'')+)'\s*:\s*\?\s*(,|$)")
_UPDATE = re.compile(rf"^\s*UPDATE\s+{_NAME}\s+(.*?)\s+WHERE\s+(.*)$", re.I | re.S)
_DELETE = re.compile(rf"^\s*DELETE\s+FROM\s+{_NAME}\s+WHERE\s+(.*)$", re.I | re.S)
_CLAUSE = re.compile(rf"\s*(?:SET\s+{_NAME}\s*=\s*\?|REMOVE\s+{_NAME})", re.I)
_CONDITION = re.compile(rf"\s*{_NAME}\s*=\s*\?\s*(?:AND\b|$)", re.I)


class _Unsupported(Exception):
    """Not a statement shape handled here: moto's implementation runs it."""


class _StatementError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def patch_partiql_writes(restore: list[Any]) -> None:
    """Install the fast path and the shared write lock; ``restore`` receives what undoes it."""
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models import DynamoDBBackend

    original_batch = DynamoDBBackend.batch_execute_statement

    def batch_execute_statement(self: Any, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(statements) > BATCH_LIMIT:
            raise MockValidationException(
                f"1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have "
                f"length less than or equal to {BATCH_LIMIT}"
            )
        if any(len(statement["Statement"]) > STATEMENT_LIMIT for statement in statements):
            raise MockValidationException(
                "1 validation error detected: Value at 'statements.member.statement' failed to satisfy constraint: "
                f"Member must have length less than or equal to {STATEMENT_LIMIT}"
            )
        try:
            parsed = [_parse(statement) for statement in statements]
        except _Unsupported:
            return original_batch(self, statements)
        tables = {name: self.get_table(name) for name, _, _ in parsed}
        keys = [(name, repr(values.get(tables[name].hash_key_attr))) for name, values, _ in parsed]
        if len(set(keys)) != len(keys):
            raise MockValidationException("Cannot have more than one statement on the same item in a batch")
        responses: list[dict[str, Any]] = []
        for name, _, run in parsed:
            try:
                with _lock:
                    run(tables[name])
                responses.append({"TableName": name})
            except _StatementError as error:
                responses.append({"TableName": name, "Error": {"Code": error.code, "Message": error.message}})
            except (MockValidationException, _Unsupported) as error:
                message = str(error) or "not a statement the local emulator runs"
                responses.append({"TableName": name, "Error": {"Code": "ValidationError", "Message": message}})
        return responses

    originals: dict[str, Callable[..., Any]] = {"batch_execute_statement": original_batch}
    DynamoDBBackend.batch_execute_statement = batch_execute_statement  # type: ignore[method-assign]
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        originals[name] = getattr(DynamoDBBackend, name)
        setattr(DynamoDBBackend, name, _locked(originals[name]))

    def undo() -> None:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)

    restore.append(undo)


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(*args, **kwargs)

    return locked


def _parse(statement: dict[str, Any]) -> tuple[str, dict[str, Any], Callable[[Any], None]]:
    """(table, the values naming its item, what runs it against moto's table) for a supported write;
    ``_Unsupported`` otherwise."""
    text, parameters = statement["Statement"], list(statement.get("Parameters") or [])
    if match := _INSERT.match(text):
        names = _fields(match.group(2))
        if len(names) != len(parameters):
            raise _Unsupported
        item = dict(zip(names, parameters, strict=True))
        return _unquote(match.group(1)), item, lambda table: _insert(table, item)
    if match := _UPDATE.match(text):
        sets, removes, consumed = _clauses(match.group(2))
        conditions = _conditions(match.group(3), parameters[consumed:])
        values = dict(zip(sets, parameters[:consumed], strict=True))
        return _unquote(match.group(1)), conditions, lambda table: _update(table, values, removes, conditions)
    if match := _DELETE.match(text):
        conditions = _conditions(match.group(2), parameters)
        return _unquote(match.group(1)), conditions, lambda table: _delete(table, conditions)
    raise _Unsupported


def _fields(body: str) -> list[str]:
    names, position = [], 0
    while position < len(body):
        match = _INSERT_FIELD.match(body, position)
        if match is None:
            raise _Unsupported
        names.append(match.group(1).replace("''", "'"))
        position = match.end()
    return names


def _clauses(text: str) -> tuple[list[str], list[str], int]:
    sets: list[str] = []
    removes: list[str] = []
    position = 0
    while position < len(text):
        match = _CLAUSE.match(text, position)
        if match is None:
            raise _Unsupported
        if match.group(1) is not None:
            sets.append(_unquote(match.group(1)))
        else:
            removes.append(_unquote(match.group(2)))
        position = match.end()
    return sets, removes, len(sets)


def _conditions(text: str, parameters: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    names, position = [], 0
    while position < len(text.rstrip()):
        match = _CONDITION.match(text, position)
        if match is None:
            raise _Unsupported
        names.append(_unquote(match.group(1)))
        position = match.end()
    if len(names) != len(parameters) or len(set(names)) != len(names):
        raise _Unsupported
    return dict(zip(names, parameters, strict=True))


def _unquote(name: str) -> str:
    return name.replace('""', '"')


def _insert(table: Any, item: dict[str, Any]) -> None:
    if _stored(table, item) is not None:
        raise _StatementError("DuplicateItem", "Duplicate primary key exists in table")
    table.put_item(item)


def _update(table: Any, values: dict[str, Any], removes: list[str], conditions: dict[str, Any]) -> None:
    if touched_keys := set(table.table_key_attrs) & (set(values) | set(removes)):
        name = sorted(touched_keys)[0]
        raise _StatementError("ValidationError", f"Cannot update attribute {name}. This attribute is part of the key")
    current = _checked(table, conditions)
    item = {name: value for name, value in current.items() if name not in removes}
    item.update(values)
    table.put_item(item)


def _delete(table: Any, conditions: dict[str, Any]) -> None:
    _checked(table, conditions)
    from moto.dynamodb.models.dynamo_type import DynamoType

    table.delete_item(DynamoType(conditions[table.hash_key_attr]), None)


def _checked(table: Any, conditions: dict[str, Any]) -> dict[str, Any]:
    """The stored item (DynamoDB JSON) when it exists and every condition holds; else ConditionalCheckFailed."""
    if table.hash_key_attr not in conditions or table.range_key_attr is not None:
        raise _Unsupported
    current = _stored(table, conditions)
    if current is None or not all(_equal(current.get(name), value) for name, value in conditions.items()):
        raise _StatementError("ConditionalCheckFailed", "The conditional request failed")
    return current


def _stored(table: Any, values: dict[str, Any]) -> dict[str, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    if table.range_key_attr is not None or table.hash_key_attr not in values:
        raise _Unsupported
    found = table.get_item(DynamoType(values[table.hash_key_attr]), None)
    return found.to_json()["Attributes"] if found is not None else None


def _equal(stored: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    if stored is None:
        return False
    if "N" in stored and "N" in expected:
        return Decimal(stored["N"]) == Decimal(expected["N"])
    return stored == expected
