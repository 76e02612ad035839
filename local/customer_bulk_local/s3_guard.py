"""What S3 checks of a presigned request, in front of moto (which checks none of it).

- A browser's POST form: the SigV4 signature over the policy, the policy's expiration, and every condition
  (exact fields, ``eq``, ``starts-with``, ``content-length-range``); every form field must be covered by one.
- A presigned GET: its signature over the request as received, and its expiry.

Refusals are S3's own XML errors and status codes (403 AccessDenied / SignatureDoesNotMatch, 400 EntityTooLarge /
EntityTooSmall / InvalidPolicyDocument), and nothing reaches the bucket. Other requests pass untouched.
"""

import base64
import hashlib
import hmac
import io
import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.wrappers import Request

_SIGV4_TIME = "%Y%m%dT%H%M%SZ"
# Fields S3 does not require a policy condition for.
_UNCONDITIONED = {"x-amz-signature", "file", "policy"}


class S3Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class PresignedS3Guard:
    """WSGI middleware: ``secrets`` maps an access key id to its secret (the local stack's credentials)."""

    def __init__(self, app: Any, secrets: dict[str, str], now: Callable[[], float] = time.time) -> None:
        self.app = app
        self.secrets = secrets
        self.now = now  # tests move the clock forward to expire a form or a link
        self.refusals: list[tuple[str, str]] = []  # (code, message), in order

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            if _is_form_upload(environ):
                self._check_form(environ)
            elif environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "X-Amz-Signature=" in environ.get(
                "QUERY_STRING", ""
            ):
                self._check_presigned_url(environ)
        except S3Refusal as refusal:
            self.refusals.append((refusal.code, refusal.message))
            return _error(refusal, environ, start_response)
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    # ---------- POST forms ----------
    def _check_form(self, environ: dict[str, Any]) -> None:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        request = Request({**environ, "wsgi.input": io.BytesIO(body)})
        fields = {name.lower(): value for name, value in request.form.items()}
        upload = request.files.get("file")
        if upload is None:
            raise S3Refusal(400, "InvalidArgument", "POST requires exactly one file upload per request.")
        size = len(upload.read())
        for required in ("policy", "x-amz-signature", "x-amz-credential", "x-amz-date", "x-amz-algorithm"):
            if required not in fields:
                raise S3Refusal(403, "AccessDenied", f"Bucket POST must contain a field named '{required}'.")
        if fields["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
            raise S3Refusal(400, "InvalidArgument", "Only AWS4-HMAC-SHA256 is supported.")
        expected = hmac.new(
            self._signing_key(fields["x-amz-credential"]), fields["policy"].encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, fields["x-amz-signature"]):
            raise S3Refusal(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        try:
            policy = json.loads(base64.b64decode(fields["policy"], validate=True))
            expiration = datetime.strptime(policy["expiration"].replace(".000Z", "Z"), "%Y-%m-%dT%H:%M:%SZ")
            conditions = list(policy["conditions"])
        except (ValueError, KeyError, TypeError) as error:
            raise S3Refusal(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from error
        if expiration.replace(tzinfo=UTC).timestamp() < self.now():
            raise S3Refusal(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        values = {**fields, "bucket": _bucket_of(environ)}
        covered = _check_conditions(conditions, values, size)
        extra = sorted(set(fields) - covered - _UNCONDITIONED - {n for n in fields if n.startswith("x-ignore-")})
        if extra:
            raise S3Refusal(403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {', '.join(extra)}")

    def _signing_key(self, credential: str) -> bytes:
        try:
            access_key, day, region, service, _ = credential.split("/")
            secret = self.secrets[access_key]
        except (ValueError, KeyError) as error:
            raise S3Refusal(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist.") from error
        key = f"AWS4{secret}".encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return key

    # ---------- presigned GETs ----------
    def _check_presigned_url(self, environ: dict[str, Any]) -> None:
        query = environ.get("QUERY_STRING", "")
        params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            access_key, day, region, service, _ = params["X-Amz-Credential"].split("/")
            signed_at = datetime.strptime(params["X-Amz-Date"], _SIGV4_TIME).replace(tzinfo=UTC).timestamp()
            expires = int(params["X-Amz-Expires"])
            secret = self.secrets[access_key]
        except (KeyError, ValueError) as error:
            raise S3Refusal(
                403, "AccessDenied", "Query-string authentication requires the X-Amz parameters."
            ) from error
        if self.now() > signed_at + expires:
            raise S3Refusal(403, "AccessDenied", "Request has expired")
        unsigned = "&".join(pair for pair in query.split("&") if not pair.startswith("X-Amz-Signature="))
        url = f"http://{environ.get('HTTP_HOST', '')}{environ.get('RAW_URI') or environ.get('PATH_INFO', '')}"
        request = AWSRequest(
            method="GET", url=f"{url.split('?')[0]}?{unsigned}", headers={"host": environ["HTTP_HOST"]}
        )
        request.context["timestamp"] = params["X-Amz-Date"]
        auth = S3SigV4QueryAuth(Credentials(access_key, secret), service, region)
        signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        if day != params["X-Amz-Date"][:8] or not hmac.compare_digest(signature, params.get("X-Amz-Signature", "")):
            raise S3Refusal(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )


def _is_form_upload(environ: dict[str, Any]) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "POST"
        and environ.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        and not environ.get("QUERY_STRING")
    )


def _bucket_of(environ: dict[str, Any]) -> str:
    """Path-style (/bucket) on the loopback endpoint, or the virtual host's first label."""
    path = str(environ.get("PATH_INFO", "/")).strip("/")
    return path.split("/", 1)[0] if path else str(environ.get("HTTP_HOST", "")).split(".", 1)[0]


def _check_conditions(conditions: list[Any], values: dict[str, str], size: int) -> set[str]:
    """The form fields the conditions cover; ``S3Refusal`` at the first condition that fails."""
    covered = set()
    for condition in conditions:
        failed = S3Refusal(
            403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
        )
        if isinstance(condition, dict):
            ((name, wanted),) = condition.items()
            covered.add(name.lower())
            if values.get(name.lower()) != wanted:
                raise failed
        elif condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                raise S3Refusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if size < low:
                raise S3Refusal(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        elif condition[0] in ("eq", "starts-with") and str(condition[1]).startswith("$"):
            name = str(condition[1])[1:].lower()
            covered.add(name)
            value = values.get(name, "")
            if (condition[0] == "eq" and value != condition[2]) or not value.startswith(str(condition[2])):
                raise failed
        else:
            raise S3Refusal(400, "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")
    return covered


def _error(refusal: S3Refusal, environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message>"
        f"<RequestId>local</RequestId></Error>"
    ).encode()
    headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    origin = environ.get("HTTP_ORIGIN")
    if origin:  # a browser must be able to read why its upload was refused
        headers.append(("Access-Control-Allow-Origin", origin))
    start_response(f"{refusal.status} {'Forbidden' if refusal.status == 403 else 'Bad Request'}", headers)
    return [body]
