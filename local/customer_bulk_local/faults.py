"""Faults AWS produces and moto never does, injected in front of it so a test can watch the code survive them.

A fault matches a service and operation (and, for S3, a key prefix) and fires a given number of times:

- ``throttle``: the service's own throttling answer (DynamoDB ProvisionedThroughputExceededException, S3 503
  SlowDown, SES 429 TooManyRequestsException), which the SDK retries with backoff;
- ``server_error``: a 500 (S3 InternalError, DynamoDB InternalServerError);
- ``reject``: SES's permanent 400 MessageRejected;
- ``unprocessed``: DynamoDB batch calls do only half of their items and hand the rest back as UnprocessedItems
  or UnprocessedKeys (a BatchExecuteStatement: the rest answered ``ThrottlingError``), as DynamoDB does under load;
- ``interleave``: ``action`` runs just before the request goes on (another writer's change landing between what a
  function read and what it writes).
"""

import io
import json
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

_ERRORS = {
    ("dynamodb", "throttle"): (400, "json", "ProvisionedThroughputExceededException", "Rate of requests exceeds"),
    ("dynamodb", "server_error"): (500, "json", "InternalServerError", "Internal server error"),
    ("s3", "throttle"): (503, "xml", "SlowDown", "Please reduce your request rate."),
    ("s3", "server_error"): (500, "xml", "InternalError", "We encountered an internal error. Please try again."),
    ("sesv2", "throttle"): (429, "rest", "TooManyRequestsException", "Maximum sending rate exceeded."),
    ("sesv2", "reject"): (
        400,
        "rest",
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region US-EAST-1: "
        "admin@shop.example",
    ),
}


@dataclass
class Fault:
    service: str  # dynamodb, s3, sesv2
    operation: str  # BatchWriteItem, GetObject, PutObject, SendEmail...
    kind: str  # throttle, server_error, reject, unprocessed
    times: int
    key_prefix: str = ""  # S3: only keys under this prefix
    fired: int = 0
    action: Callable[[], None] | None = None  # interleave: what runs first


class FaultInjector:
    """WSGI middleware; ``add`` a fault, and read ``fired`` on it afterwards."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in ("unprocessed", "interleave") and (fault.service, fault.kind) not in _ERRORS:
            raise ValueError(f"No {fault.kind} fault for {fault.service}")
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not self.faults:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        service, operation, key = _identify(environ)
        with self._lock:
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.fired < f.times
                    and f.service == service
                    and f.operation == operation
                    and key.startswith(f.key_prefix)
                ),
                None,
            )
            if fault is not None:
                fault.fired += 1
        if fault is None:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        if fault.kind == "interleave":
            assert fault.action is not None
            fault.action()
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        if fault.kind == "unprocessed":
            return self._half_done(environ, start_response, operation)
        return _error(service, fault.kind, start_response)

    def _half_done(self, environ: dict[str, Any], start_response: Any, operation: str) -> Iterable[bytes]:
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        if operation == "BatchExecuteStatement":
            return self._half_statements(environ, start_response, body)
        kept, left = {}, {}
        for table, requests in body["RequestItems"].items():
            entries = requests["Keys"] if operation == "BatchGetItem" else requests
            middle = max(1, len(entries) // 2)
            if operation == "BatchGetItem":
                kept[table] = {**requests, "Keys": entries[:middle]}
                if entries[middle:]:
                    left[table] = {**requests, "Keys": entries[middle:]}
            else:
                kept[table] = entries[:middle]
                if entries[middle:]:
                    left[table] = entries[middle:]
        status, headers, answer = self._forward(environ, {**body, "RequestItems": kept})
        answer["UnprocessedKeys" if operation == "BatchGetItem" else "UnprocessedItems"] = left
        return _answer(start_response, status, headers, answer)

    def _half_statements(self, environ: dict[str, Any], start_response: Any, body: dict[str, Any]) -> list[bytes]:
        statements = body["Statements"]
        middle = max(1, len(statements) // 2)
        status, headers, answer = self._forward(environ, {**body, "Statements": statements[:middle]})
        throttled = {"Error": {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity"}}
        answer["Responses"] = answer.get("Responses", []) + [throttled] * (len(statements) - middle)
        return _answer(start_response, status, headers, answer)

    def _forward(self, environ: dict[str, Any], body: dict[str, Any]) -> tuple[str, list[tuple[str, str]], Any]:
        """Send ``body`` on in place of the request's: the answer's status, headers and JSON."""
        forwarded = json.dumps(body).encode()
        environ["wsgi.input"] = io.BytesIO(forwarded)
        environ["CONTENT_LENGTH"] = str(len(forwarded))
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            captured.update(status=status, headers=headers)

        answer = json.loads(b"".join(self.app(environ, capture)))
        return captured["status"], captured["headers"], answer


def _answer(start_response: Any, status: str, headers: list[tuple[str, str]], answer: dict[str, Any]) -> list[bytes]:
    data = json.dumps(answer).encode()
    kept = [(n, v) for n, v in headers if n.lower() not in ("content-length", "x-amz-crc32")]
    start_response(status, [*kept, ("Content-Length", str(len(data))), ("x-amz-crc32", str(zlib.crc32(data)))])
    return [data]


def _identify(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(service, operation, S3 key) of a request, from what the SDK sends."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        prefix, _, operation = target.partition(".")
        return ("dynamodb" if prefix.startswith("DynamoDB") else prefix.lower()), operation, ""
    scope = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[-1].split("/")
    service = scope[3] if len(scope) > 3 else ""
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
    if service == "s3":
        _, _, key = unquote(path).lstrip("/").partition("/")
        operation = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}
        return "s3", operation.get(method, method) if key else f"Bucket{method}", key
    if service == "ses" and path.startswith("/v2/email/outbound-emails"):
        return "sesv2", "SendEmail", ""
    return service, method, ""


def _error(service: str, kind: str, start_response: Any) -> list[bytes]:
    status, shape, code, message = _ERRORS[(service, kind)]
    if shape == "xml":
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
        headers = [("Content-Type", "application/xml")]
    elif shape == "json":
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})
        headers = [("Content-Type", "application/x-amz-json-1.0")]
    else:
        body = json.dumps({"message": message})
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    data = body.encode()
    if shape == "json":
        headers.append(("x-amz-crc32", str(zlib.crc32(data))))
    reason = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Slow Down"}[status]
    start_response(f"{status} {reason}", [*headers, ("Content-Length", str(len(data)))])
    return [data]
