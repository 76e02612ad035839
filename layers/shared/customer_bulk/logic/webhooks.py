"""A tenant's webhook (docs/adr/0010): where its job events may be POSTed, how each is signed, how a delivery goes.

- **Targets** are checked when the setting is saved and again before every delivery (a name's addresses can
  change): https only, and every address the host resolves to must be a public internet address (no private,
  loopback, link-local, multicast, reserved or otherwise non-global one). The request then goes to the address
  that was checked, never to a second lookup's. On the local stack (and only there: never inside AWS Lambda), the
  rule is reversed: loopback addresses only, over http too, so tests run a receiver on 127.0.0.1.
- **Signature**: ``X-Customer-Bulk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, keyed with
  the tenant's secret; a receiver checks it and refuses a ``t`` too far from its clock (a replay).
- **Secret**: derived per tenant from the stack's webhook secret and a nonce the tenant can rotate; never stored.
- **Delivery**: from the webhook queue, one event at a time. A failure (an answer other than 2xx, no answer in
  time, a host that does not resolve) hands the message back to the queue after a growing delay; after the
  queue's last attempt it rests in the dead-letter queue (an alarm). Nothing here touches the job.
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from aws_lambda_powertools.metrics import MetricUnit

from customer_bulk.errors import BadRequestError
from customer_bulk.i18n import N_, _
from customer_bulk.models.job_events import SIGNATURE_HEADER, JobEvent, WebhookSecret, WebhookTarget
from customer_bulk.observability import logger, metrics
from customer_bulk.ports import Stores
from customer_bulk.settings import get_settings

EVENT_HEADER = "X-Customer-Bulk-Event"
EVENT_ID_HEADER = "X-Customer-Bulk-Event-Id"
ATTEMPT_HEADER = "X-Customer-Bulk-Attempt"
USER_AGENT = "customer-bulk-webhooks/1"
TIMEOUT_S = 8.0
# Seconds before attempt n + 1 after attempt n failed: 30 s, 2 min, 8 min, 32 min, ~2 h, ~8.5 h, then 12 h (SQS's
# longest visibility timeout). The queue's maxReceiveCount (8) ends it: about a day of attempts.
FIRST_RETRY_S = 30
LONGEST_RETRY_S = 12 * 3600


class WebhookRefused(BadRequestError):
    """The URL may not receive webhooks; the message says why (the API answers 400 with it)."""


class UnresolvedHost(WebhookRefused):
    """The host resolves to no address now: saving is refused, a delivery tries again later."""


class DeliveryFailed(Exception):
    """The receiver did not take the event (its status, or no answer): the queue hands it back later."""


# Why an address is refused, in the order they are tested.
_REFUSED_KINDS = (
    ("is_loopback", N_("a loopback address")),
    ("is_link_local", N_("a link-local address")),
    ("is_multicast", N_("a multicast address")),
    ("is_unspecified", N_("an unspecified address")),
    ("is_reserved", N_("a reserved address")),
    ("is_private", N_("a private network address")),
)


def refusal_of(address: str) -> str | None:
    """Why a webhook may not go to ``address`` on AWS (translated), or None when it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a link-local IPv6 answer may carry its zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 reaches 10.0.0.1
    for attribute, kind in _REFUSED_KINDS:
        if getattr(ip, attribute):
            return _(kind)
    return None if ip.is_global else _("an address that is not public")


def check_target(stores: Stores, url: str, loopback_only: bool | None = None) -> WebhookTarget:
    """The URL as a target a delivery may connect to, or ``WebhookRefused`` saying why not. ``loopback_only``:
    the local stack's rule (None: as this deployment says)."""
    local = get_settings().webhooks_on_loopback if loopback_only is None else loopback_only
    url = url.strip()
    try:
        if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in url):  # no request could carry it
            raise ValueError(url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookRefused(_("The webhook URL is not a valid URL.")) from None
    scheme = parts.scheme.lower()
    if scheme != "https" and not (local and scheme == "http"):
        raise WebhookRefused(_("The webhook URL must start with https://."))
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused(_("The webhook URL must not contain a user name or password."))
    host = parts.hostname
    if not host:
        raise WebhookRefused(_("The webhook URL is not a valid URL."))
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = stores.webhooks.resolve(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise UnresolvedHost(_("The webhook host {host} could not be resolved.", host=host))
    for address in addresses:
        if local:
            if not ipaddress.ip_address(address.split("%", 1)[0]).is_loopback:
                raise WebhookRefused(
                    _(
                        "On the local stack, webhooks are only sent to this machine (a loopback address); {host} "
                        "resolves to {address}.",
                        host=host,
                        address=address,
                    )
                )
        elif (kind := refusal_of(address)) is not None:
            raise WebhookRefused(
                _(
                    "The webhook host {host} resolves to {address}, {kind}: webhooks are only sent to public "
                    "internet addresses.",
                    host=host,
                    address=address,
                    kind=kind,
                )
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return WebhookTarget(scheme="https" if scheme == "https" else "http", host=host, port=port, path=path,
                         address=addresses[0])  # fmt: skip


# ---------- the secret and the signature ----------
def tenant_secret(root: bytes, tenant_id: str, nonce: str) -> str:
    """The tenant's signing secret: derived from the stack's, so nothing secret is stored per tenant."""
    derived = hmac.new(root, f"customer-bulk webhook v1|{tenant_id}|{nonce}".encode(), hashlib.sha256).hexdigest()
    return f"whsec_{derived}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_secret(stores: Stores, tenant_id: str) -> WebhookSecret:
    nonce, rotated_at = stores.jobs.webhook_secret_nonce(tenant_id)
    return WebhookSecret(secret=tenant_secret(stores.webhook_key(), tenant_id, nonce), rotated_at=rotated_at)


def rotate_webhook_secret(stores: Stores, tenant_id: str, now: datetime) -> WebhookSecret:
    """A new secret at once: deliveries from now on are signed with it, the old one no longer verifies."""
    nonce = secrets.token_hex(16)
    stores.jobs.rotate_webhook_secret(tenant_id, nonce, now)
    logger.info("Webhook secret rotated", extra={"tenant_id": tenant_id})
    return WebhookSecret(secret=tenant_secret(stores.webhook_key(), tenant_id, nonce), rotated_at=now)


def body_of(event: JobEvent) -> bytes:
    """The JSON a webhook receives: the event's detail, exactly as on the bus."""
    return json.dumps(event.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")).encode()


def retry_delay_s(attempt: int) -> int:
    """How long the queue keeps a delivery back after its ``attempt``-th attempt failed."""
    return int(min(FIRST_RETRY_S * 4 ** max(0, attempt - 1), LONGEST_RETRY_S))


# ---------- delivering ----------
def deliver_webhook(
    stores: Stores, event: JobEvent, attempt: int, now: datetime, loopback_only: bool | None = None
) -> str:
    """POST the event to its tenant's webhook, signed: "delivered", "no_webhook" or "refused" (the URL no longer
    passes the checks: dropped, logged). Raises ``DeliveryFailed`` for the queue to try again."""
    url = stores.jobs.tenant_settings(event.tenant_id).webhook_url
    context = {"tenant_id": event.tenant_id, "job_id": event.job_id, "event": event.type, "attempt": attempt}
    if not url:
        return "no_webhook"
    try:
        target = check_target(stores, url, loopback_only)
    except UnresolvedHost as unresolved:
        raise DeliveryFailed(str(unresolved)) from None
    except WebhookRefused as refused:
        logger.error("Webhook target refused at delivery", extra={**context, "reason": str(refused)})
        metrics.add_metric(name="WebhooksRefused", unit=MetricUnit.Count, value=1)
        return "refused"
    body = body_of(event)
    secret = webhook_secret(stores, event.tenant_id).secret
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body),
        EVENT_HEADER: event.type,
        EVENT_ID_HEADER: event.event_id,
        ATTEMPT_HEADER: str(attempt),
    }
    try:
        status = stores.webhooks.post(target, body, headers, TIMEOUT_S)
    except OSError as error:  # refused, reset, timed out, TLS
        logger.warning("Webhook unreachable", extra={**context, "error": type(error).__name__})
        metrics.add_metric(name="WebhookAttemptsFailed", unit=MetricUnit.Count, value=1)
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
    if not 200 <= status < 300:
        logger.warning("Webhook answered an error", extra={**context, "status": status})
        metrics.add_metric(name="WebhookAttemptsFailed", unit=MetricUnit.Count, value=1)
        raise DeliveryFailed(f"the webhook answered {status}")
    logger.info("Webhook delivered", extra={**context, "status": status})
    metrics.add_metric(name="WebhooksDelivered", unit=MetricUnit.Count, value=1)
    return "delivered"


def deliver_from_queue(
    stores: Stores,
    event: JobEvent,
    receipt_handle: str,
    attempt: int,
    now: datetime,
    loopback_only: bool | None = None,
) -> str:
    """One message of the webhook queue: a failure asks the queue to hand it back after the attempt's delay."""
    try:
        return deliver_webhook(stores, event, attempt, now, loopback_only)
    except DeliveryFailed:
        stores.webhooks.retry_later(receipt_handle, retry_delay_s(attempt))
        raise
