"""Reaching a tenant's webhook: resolving its host, POSTing to the one address that was checked, and asking the
webhook queue to hand a failed delivery back later (docs/adr/0010)."""

import http.client
import socket
import ssl
from typing import Any

from customer_bulk.dal.clients import aws_client
from customer_bulk.models.job_events import WebhookTarget

# What is read of an answer: its status is what counts, a body is only drained so the connection closes cleanly.
_ANSWER_BYTES = 64 * 1024


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever a second DNS lookup of the host would say now."""

    def __init__(self, target: WebhookTarget, timeout_s: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout_s)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, the certificate verified against the host name of the URL."""

    def __init__(self, target: WebhookTarget, timeout_s: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout_s, context=self.tls)
        self.address = target.address

    def connect(self) -> None:
        plain = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(plain, server_hostname=self.host)


class WebhookClient:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    @property
    def sqs(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("sqs")

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address the host resolves to now (OSError when it resolves to none)."""
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(answer[4][0]) for answer in answers))

    def post(self, target: WebhookTarget, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
        """The answer's status; redirects are not followed (their target was never checked). OSError when there is
        no answer (refused, reset, timed out, TLS, not HTTP)."""
        connection: http.client.HTTPConnection = (
            _PinnedHTTPSConnection(target, timeout_s)
            if target.scheme == "https"
            else _PinnedHTTPConnection(target, timeout_s)
        )
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(_ANSWER_BYTES)
            return response.status
        except http.client.HTTPException as error:  # not HTTP at all: as unreachable as a refused connection
            raise OSError(f"{type(error).__name__}: {error}") from error
        finally:
            connection.close()

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        """The failed delivery comes back after ``delay_s`` (the queue's visibility timeout, for this message)."""
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay_s
        )
