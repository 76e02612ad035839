"""boto3 clients, built once per process on first use (never at import time, so tests can point them anywhere)."""

import os
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


def s3_config(endpoint_override: bool) -> Config:
    """SigV4 on the bucket's regional virtual-host endpoint: buckets refuse SigV2, and a presigned link must name
    the bucket's own region (us-east-1 included) to be valid at once. An endpoint override (the local stack on
    127.0.0.1) cannot take the bucket as a host name, so it is addressed by path there."""
    return _CONFIG.merge(
        Config(
            signature_version="s3v4",
            s3={
                "addressing_style": "path" if endpoint_override else "virtual",
                "us_east_1_regional_endpoint": "regional",
            },
        )
    )


@cache
def aws_client(service: str) -> Any:
    # boto3's default session is not safe to build clients from concurrently; the clients themselves are.
    with _creating:
        session = cast(Any, boto3.session.Session())
        if service == "s3":
            override = bool(os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"))
            return session.client(service, config=s3_config(override))
        return session.client(service, config=_CONFIG)
