"""boto3 clients, built once per process on first use (never at import time, so tests can point them anywhere)."""

import threading
from functools import cache
from typing import Any, cast

import boto3
from botocore.config import Config

_creating = threading.Lock()
# Our requests are built by our code and validated by the service; botocore's client-side validation of every
# BatchWriteItem item costs a third of the client's CPU per call, which a Lambda pays for.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 8},
    tcp_keepalive=True,
    max_pool_connections=32,
    parameter_validation=False,
)


@cache
def aws_client(service: str) -> Any:
    # boto3's default session is not safe to build clients from concurrently; the clients themselves are.
    with _creating:
        return cast(Any, boto3.session.Session()).client(service, config=_CONFIG)
