"""Links to our files that live as long as they say (docs/adr/0008).

A presigned S3 URL is only valid while the credentials that signed it are: a Lambda role's session lasts hours, not
the 7 days an email promises. So an emailed or displayed link is ours: ``{api}/downloads/{token}``, the token an
HMAC-signed statement (tenant, object key, file name, expiry) under a key only the stack holds. The download route
checks it and redirects to a presigned GET of a few minutes, signed then, with live credentials.
"""

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from customer_bulk.errors import utc_time
from customer_bulk.i18n import _

# Where a tenant's downloadable files live (reports and export files); a token for any other key is refused even
# when its signature holds.
_DOWNLOADABLE = r"(jobs/{tenant}/[^/]+/reports|exports/{tenant}/[^/]+/files)/[^/]+"


class InvalidLink(Exception):
    """The token was not made by us, or not for a downloadable file of its tenant. Its message is said in the
    language in force (the browser's, in the download route)."""

    def __init__(self) -> None:
        super().__init__(_("This link is not valid."))


class ExpiredLink(Exception):
    def __init__(self, expired_at: datetime) -> None:
        super().__init__(_("This link expired on {expired_at}.", expired_at=utc_time(expired_at)))
        self.expired_at = expired_at


@dataclass(frozen=True, slots=True)
class Download:
    tenant_id: str
    key: str
    file_name: str
    expires_at: datetime


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    return _encode(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def make_token(secret: bytes, download: Download) -> str:
    statement = {
        "t": download.tenant_id,
        "k": download.key,
        "n": download.file_name,
        "x": int(download.expires_at.timestamp()),
    }
    payload = _encode(json.dumps(statement, ensure_ascii=False, separators=(",", ":")).encode())
    return f"{payload}.{_signature(secret, payload)}"


def read_token(secret: bytes, token: str, now: datetime) -> Download:
    """The download a token grants, or why not: a forged or altered token, or one past its expiry."""
    payload, _dot, signature = token.partition(".")
    if not payload or not hmac.compare_digest(signature, _signature(secret, payload)):
        raise InvalidLink()
    try:
        statement = json.loads(_decode(payload))
        download = Download(
            tenant_id=str(statement["t"]),
            key=str(statement["k"]),
            file_name=str(statement["n"]),
            expires_at=datetime.fromtimestamp(int(statement["x"]), UTC),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidLink() from error
    if not re.fullmatch(_DOWNLOADABLE.format(tenant=re.escape(download.tenant_id)), download.key):
        raise InvalidLink()
    if now >= download.expires_at:
        raise ExpiredLink(download.expires_at)
    return download


def link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/downloads/{token}"
