"""The local S3 refuses what S3 refuses of a presigned form or link, so a broken policy fails a test here."""

import base64
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests

from customer_bulk.dal import stores
from customer_bulk.models.tenant import TenantSettings
from customer_bulk_local.client import ApiClient
from customer_bulk_local.emulator import LocalStack
from tests.conftest import ADMIN

ORIGIN = "https://console.shop.example"


def _post(form: dict[str, Any], fields: dict[str, str], content: bytes, origin: str | None = None) -> Any:
    headers = {"Origin": origin} if origin else {}
    return requests.post(form["url"], data=fields, files={"file": ("c.csv", content)}, headers=headers, timeout=30)


def _s3_error(response: Any) -> tuple[int, str, str]:
    code = re.search(r"<Code>(.*?)</Code>", response.text)
    message = re.search(r"<Message>(.*?)</Message>", response.text)
    return response.status_code, code[1] if code else "", message[1] if message else ""


def _uploads(stack: LocalStack, tenant: str) -> list[str]:
    listed = stack.client("s3").list_objects_v2(
        Bucket=stack.physical("FilesBucket")["Name"], Prefix=f"uploads/{tenant}/"
    )
    return [item["Key"] for item in listed.get("Contents", [])]


def test_tampered_uploads_are_refused_as_s3_refuses_them_and_nothing_is_imported(
    stack: LocalStack, tenant: str, api: ApiClient
) -> None:
    other = ApiClient(stack.api_url, f"{tenant}-b", ADMIN, language="en")
    mine, theirs = api.create_import("c.csv"), other.create_import("c.csv")
    form, fields = mine["upload"], dict(mine["upload"]["fields"])
    content = b"Email\na@shop.vn\n"

    refused = {
        "changed key": _post(form, {**fields, "key": fields["key"].replace("c.csv", "other.csv")}, content),
        "another tenant's prefix": _post(form, {**fields, "key": theirs["upload"]["fields"]["key"]}, content),
        "forged policy": _post(form, {**fields, "policy": _widened(fields["policy"])}, content),
        "no signature": _post(form, {k: v for k, v in fields.items() if k != "x-amz-signature"}, content),
        "extra field": _post(form, {**fields, "x-amz-meta-owner": "mallory"}, content),
    }
    assert {case: _s3_error(response)[:2] for case, response in refused.items()} == {
        "changed key": (403, "AccessDenied"),
        "another tenant's prefix": (403, "AccessDenied"),
        "forged policy": (403, "SignatureDoesNotMatch"),
        "no signature": (403, "AccessDenied"),
        "extra field": (403, "AccessDenied"),
    }
    assert "Policy Condition failed" in _s3_error(refused["another tenant's prefix"])[2]
    assert "Extra input fields: x-amz-meta-owner" in _s3_error(refused["extra field"])[2]

    time.sleep(0.5)
    assert _uploads(stack, tenant) == [] and _uploads(stack, f"{tenant}-b") == []
    assert api.status(mine["job_id"])["status"] == other.status(theirs["job_id"])["status"] == "awaiting_upload"

    accepted = _post(form, fields, content, origin=ORIGIN)  # the untouched form, from a browser's origin
    assert accepted.status_code == 204 and accepted.headers["Access-Control-Allow-Origin"] == ORIGIN


def _widened(policy: str) -> str:
    document = json.loads(base64.b64decode(policy))
    document["conditions"] = [c for c in document["conditions"] if not (isinstance(c, dict) and "key" in c)]
    return base64.b64encode(json.dumps(document).encode()).decode()


def test_a_file_over_the_tenants_limit_and_an_expired_form_are_refused(
    stack: LocalStack, tenant: str, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores().jobs.put_tenant_settings(tenant, TenantSettings(max_file_mb=0.001))  # about 1 KB
    created = api.create_import("c.csv")
    fields = dict(created["upload"]["fields"])
    too_large = _post(created["upload"], fields, b"Email\n" + b"a@shop.vn\n" * 200)
    assert _s3_error(too_large)[:2] == (400, "EntityTooLarge")

    later = time.time() + 16 * 60  # the form lives 15 minutes
    monkeypatch.setattr(stack.s3_guard, "now", lambda: later)
    expired = _post(created["upload"], fields, b"Email\na@shop.vn\n")
    assert _s3_error(expired) == (403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    assert _uploads(stack, tenant) == []


def test_a_browser_on_another_origin_may_post_the_form(stack: LocalStack, api: ApiClient) -> None:
    form = api.create_import("c.csv")["upload"]
    preflight = requests.options(
        form["url"],
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in (ORIGIN, "*")
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_an_expired_or_altered_presigned_get_is_refused(
    stack: LocalStack, tenant: str, importer: Any, csv_file: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = importer(csv_file(["Email"], [["broken"]]))
    location = requests.get(run.status["error_report_url"], allow_redirects=False, timeout=30).headers["Location"]
    assert requests.get(location, timeout=30).status_code == 200

    parsed = urlparse(location)
    altered = parsed._replace(path=parsed.path.replace("/reports/", "/reports/x")).geturl()
    assert _s3_error(requests.get(altered, timeout=30))[:2] == (403, "SignatureDoesNotMatch")

    later = time.time() + 301  # a redirect's presigned GET lives 5 minutes
    monkeypatch.setattr(stack.s3_guard, "now", lambda: later)
    assert _s3_error(requests.get(location, timeout=30)) == (403, "AccessDenied", "Request has expired")
