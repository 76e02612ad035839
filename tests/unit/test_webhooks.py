"""Webhook targets as AWS sees them (https, public addresses only, every address of the host), the local stack's
reversed rule, the signature a receiver checks, and what a failed delivery asks of the queue."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from customer_bulk.dal.webhooks import WebhookClient
from customer_bulk.logic import webhooks
from customer_bulk.logic.webhooks import (
    DeliveryFailed,
    UnresolvedHost,
    WebhookRefused,
    check_target,
    deliver_from_queue,
    retry_delay_s,
    signature,
    tenant_secret,
)
from customer_bulk.models.job_events import JobEvent, WebhookTarget
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.ports import Stores
from customer_bulk.settings import Settings
from tests.conftest import fake_stores

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PUBLIC = "93.184.216.34"
DNS = {
    "hooks.example.com": [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"],
    "internal.example.com": ["127.0.0.1"],  # a public name pointing home
    "split.example.com": [PUBLIC, "10.1.2.3"],  # one good answer does not make the other one safe
    "metadata.example.com": ["169.254.169.254"],
    "localhost": ["127.0.0.1", "::1"],
}


class _Network:
    """The webhook port: a fixed DNS, and what was POSTed."""

    def __init__(self, answers: list[int] | None = None) -> None:
        self.answers = answers or [200]
        self.posts: list[tuple[WebhookTarget, bytes, dict[str, str]]] = []
        self.delays: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> list[str]:
        if host in DNS:
            return DNS[host]
        if host.replace(".", "").isdigit() or ":" in host:
            return [host]  # a literal address resolves to itself
        raise OSError("Name or service not known")

    def post(self, target: WebhookTarget, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
        self.posts.append((target, body, headers))
        return self.answers[min(len(self.posts), len(self.answers)) - 1]

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        self.delays.append((receipt_handle, delay_s))


class _Jobs:
    def __init__(self, url: str | None) -> None:
        self.url = url

    def tenant_settings(self, tenant_id: str) -> TenantSettings:
        return TenantSettings(webhook_url=self.url)

    def webhook_secret_nonce(self, tenant_id: str) -> tuple[str, datetime | None]:
        return "n1", NOW


def _stores(network: _Network, url: str | None = None) -> Stores:
    return fake_stores(jobs=_Jobs(url), webhooks=network, webhook_key=lambda: b"root")


def _refusal(url: str) -> str:
    with pytest.raises(WebhookRefused) as refused:
        check_target(_stores(_Network()), url, loopback_only=False)
    return str(refused.value)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://10.0.0.1/hook", "resolves to 10.0.0.1, a private network address"),
        ("https://192.168.1.20/hook", "a private network address"),
        ("https://169.254.169.254/latest/meta-data/", "resolves to 169.254.169.254, a link-local address"),
        ("https://metadata.example.com/", "resolves to 169.254.169.254, a link-local address"),
        ("https://[::1]/hook", "resolves to ::1, a loopback address"),
        ("https://localhost/hook", "resolves to 127.0.0.1, a loopback address"),
        ("https://internal.example.com/hook", "internal.example.com resolves to 127.0.0.1, a loopback address"),
        ("https://split.example.com/hook", "resolves to 10.1.2.3, a private network address"),
        ("https://[::ffff:10.0.0.1]/hook", "a private network address"),
        ("https://[fe80::1]/hook", "a link-local address"),
        ("https://224.0.0.251/hook", "a multicast address"),
        ("https://0.0.0.0/hook", "an unspecified address"),
        ("https://240.0.0.1/hook", "a reserved address"),
        ("https://100.64.0.1/hook", "an address that is not public"),
        ("http://hooks.example.com/hook", "must start with https://"),
        ("ftp://hooks.example.com/hook", "must start with https://"),
        ("hooks.example.com/hook", "must start with https://"),
        ("https://user:secret@hooks.example.com/hook", "must not contain a user name or password"),
        ("https://hooks.example.com:99999/hook", "is not a valid URL"),
        ("https:///hook", "is not a valid URL"),
        ("https://hooks.example.com/a b", "is not a valid URL"),
        ("https://hooks.example.com/a\r\nX-Injected: 1", "is not a valid URL"),
    ],
)
def test_on_aws_a_target_must_be_https_and_every_address_public(url: str, why: str) -> None:
    assert why in _refusal(url)


def test_a_public_target_is_pinned_to_the_address_that_was_checked() -> None:
    target = check_target(_stores(_Network()), "https://hooks.example.com/in?tenant=1", loopback_only=False)
    assert target == WebhookTarget(scheme="https", host="hooks.example.com", port=443, path="/in?tenant=1",
                                   address=PUBLIC)  # fmt: skip


def test_a_host_that_resolves_to_nothing_is_refused_as_such() -> None:
    with pytest.raises(UnresolvedHost, match=r"nowhere\.invalid could not be resolved"):
        check_target(_stores(_Network()), "https://nowhere.invalid/hook", loopback_only=False)


def test_the_local_stack_accepts_loopback_only_and_http_there() -> None:
    local = _stores(_Network())
    assert check_target(local, "http://127.0.0.1:8080/hook", loopback_only=True).address == "127.0.0.1"
    assert check_target(local, "http://localhost:8080/hook", loopback_only=True).port == 8080
    for url in ("https://hooks.example.com/hook", "http://10.0.0.1/hook", "http://split.example.com/"):
        with pytest.raises(WebhookRefused, match="only sent to this machine"):
            check_target(local, url, loopback_only=True)


def test_loopback_mode_is_never_honoured_inside_aws_lambda() -> None:
    required = {name: "x" for name, spec in Settings.model_fields.items() if spec.is_required()}
    local = Settings(**required, webhook_loopback_only=True, aws_execution_env="")
    assert local.webhooks_on_loopback is True
    on_lambda = Settings(**required, webhook_loopback_only=True, aws_execution_env="AWS_Lambda_python3.11")
    assert on_lambda.webhooks_on_loopback is False
    assert Settings(**required, webhook_loopback_only=False, aws_execution_env="").webhooks_on_loopback is False


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_body_under_the_tenants_secret() -> None:
    secret = tenant_secret(b"root", "acme", "")
    assert secret.startswith("whsec_") and secret == tenant_secret(b"root", "acme", "")
    assert secret != tenant_secret(b"root", "other", "") and secret != tenant_secret(b"root", "acme", "n2")
    body = b'{"type":"import.completed"}'
    header = signature(secret, 1_772_352_000, body)
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    assert t == "1772352000"
    assert v1 == hmac.new(secret.encode(), b"1772352000." + body, hashlib.sha256).hexdigest()


def test_failed_deliveries_come_back_later_and_later_up_to_sqs_longest_wait() -> None:
    assert [retry_delay_s(n) for n in range(1, 9)] == [30, 120, 480, 1920, 7680, 30720, 43200, 43200]


def _event() -> JobEvent:
    return JobEvent(event_id="J1:import_0", type="import.completed", tenant_id="acme", job_id="J1", kind="import",
                    status="completed", file_name="a.csv", rows_total=2, counts={"created": 2}, language="en",
                    finished_at=NOW)  # fmt: skip


def test_a_delivery_posts_the_event_signed_and_a_failure_asks_the_queue_for_the_attempts_delay() -> None:
    network = _Network(answers=[500, 204])
    stores = _stores(network, "https://hooks.example.com/in")
    with pytest.raises(DeliveryFailed, match="answered 500"):
        deliver_from_queue(stores, _event(), "receipt-1", 1, NOW, loopback_only=False)
    assert network.delays == [("receipt-1", 30)]
    assert deliver_from_queue(stores, _event(), "receipt-2", 2, NOW, loopback_only=False) == "delivered"
    target, body, headers = network.posts[-1]
    assert target.address == PUBLIC and json.loads(body) == _event().model_dump(mode="json")
    secret = tenant_secret(b"root", "acme", "n1")
    assert headers[webhooks.SIGNATURE_HEADER] == signature(secret, int(NOW.timestamp()), body)
    assert (headers[webhooks.EVENT_HEADER], headers[webhooks.EVENT_ID_HEADER]) == ("import.completed", "J1:import_0")
    assert headers[webhooks.ATTEMPT_HEADER] == "2"


def test_a_target_that_became_private_is_dropped_without_a_request() -> None:
    network = _Network()
    stores = _stores(network, "https://internal.example.com/in")
    assert deliver_from_queue(stores, _event(), "r", 1, NOW, loopback_only=False) == "refused"
    assert network.posts == [] and network.delays == []
    assert deliver_from_queue(_stores(network, None), _event(), "r", 1, NOW, loopback_only=False) == "no_webhook"


def test_the_request_goes_to_the_checked_address_whatever_the_host_name_resolves_to_now() -> None:
    """dal.webhooks connects to ``target.address`` and names the host only in the Host header (and TLS's SNI)."""
    seen: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append((self.headers["Host"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(302)  # a redirect is an answer, never followed
            self.send_header("Location", "http://169.254.169.254/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    port = server.server_address[1]
    target = WebhookTarget(scheme="http", host="hooks.example.com", port=port, path="/in?x=1", address="127.0.0.1")
    try:
        status = WebhookClient("unused").post(target, b"{}", {"Content-Type": "application/json"}, 5)
    finally:
        server.server_close()
    assert status == 302 and seen == [(f"hooks.example.com:{port}", b"{}")]
    with pytest.raises(ConnectionRefusedError):  # nobody listens there any more
        WebhookClient("unused").post(target, b"{}", {}, 1)
