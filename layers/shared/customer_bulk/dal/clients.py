"""boto3 clients, built once per process on first use (never at import time, so tests can point them anywhere)."""

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_creating = threading.Lock()
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, tcp_keepalive=True, max_pool_connections=32)


@cache
def aws_client(service: str) -> Any:
    # boto3's default session is not safe to build clients from concurrently; the clients themselves are.
    with _creating:
        return boto3.session.Session().client(service, config=_CONFIG)
