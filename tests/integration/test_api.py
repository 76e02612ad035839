"""The HTTP API: what a web client sees, and what it must not see."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from customer_bulk_local.client import ApiClient, ApiError
from tests.conftest import ADMIN


def test_the_upload_form_pins_prefix_size_and_expiry(api: ApiClient, tenant: str) -> None:
    created = api.create_import("Khách hàng tháng 11.xlsx", {"match_key": "email"})
    job_id = created["job_id"]
    form = created["upload"]
    assert created["status"] == "awaiting_upload"
    assert form["fields"]["key"] == f"uploads/{tenant}/{job_id}/Khách hàng tháng 11.xlsx"
    assert form["expires_in"] == 900 and form["max_bytes"] == 80 * 1024 * 1024

    # moto does not enforce POST policies, so read the policy S3 would enforce
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["starts-with", "$key", f"uploads/{tenant}/{job_id}/"] in conditions
    assert ["content-length-range", 1, 80 * 1024 * 1024] in conditions
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)


def test_status_is_a_progress_bar_before_the_file_arrives(api: ApiClient) -> None:
    job_id = api.create_import("customers.csv")["job_id"]
    status = api.status(job_id)
    assert (status["status"], status["percent"], status["rows_total"], status["rows_processed"]) == (
        "awaiting_upload",
        0,
        0,
        0,
    )


def test_another_tenants_job_does_not_exist_for_you(stack: Any, api: ApiClient) -> None:
    job_id = api.create_import("customers.csv")["job_id"]
    intruder = ApiClient(stack.api_url, "someone-else", "eve@evil.example")
    with pytest.raises(ApiError) as error:
        intruder.status(job_id)
    assert error.value.status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"file_name": "customers.pdf"}, "file_name"),
        ({"file_name": ""}, "file_name"),
        ({"file_name": "c.csv", "options": {"match_key": "fax"}}, "match_key"),
        ({"file_name": "c.csv", "options": {"surprise": True}}, "surprise"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field(stack: Any, tenant: str, body: dict[str, Any], field: str) -> None:
    response = requests.post(
        f"{stack.api_url}/imports",
        json=body,
        headers={"X-Tenant-Id": tenant, "X-User-Email": ADMIN, "Accept-Language": "en"},
        timeout=30,
    )
    assert response.status_code == 422
    answer = response.json()
    # Our shape, which says which field and what was wrong with it (Powertools' own 422 carries no message).
    assert set(answer) == {"message", "errors"}
    assert answer["message"].startswith("Invalid request: ") and field in answer["message"]
    assert [problem["field"].rsplit(".", 1)[-1] for problem in answer["errors"]] == [field]
    assert all(problem["message"] for problem in answer["errors"])


def test_no_identity_no_access(stack: Any) -> None:
    assert requests.get(f"{stack.api_url}/imports/01M83VKJW59V5FD9ZBYEQG1TVF", timeout=30).status_code == 401
    response = requests.get(
        f"{stack.api_url}/imports/01M83VKJW59V5FD9ZBYEQG1TVF",
        headers={"X-Tenant-Id": "bad tenant!", "X-User-Email": ADMIN},
        timeout=30,
    )
    assert response.status_code == 403


def test_a_tenant_reads_and_replaces_its_settings(stack: Any, api: ApiClient, tenant: str) -> None:
    headers = {"X-Tenant-Id": tenant, "X-User-Email": ADMIN, "Accept-Language": "en"}
    current = requests.get(f"{stack.api_url}/settings", headers=headers, timeout=30).json()
    assert (current["max_rows"], current["default_region"], current["requirement"]) == (30000, "VN", "email_or_phone")

    wanted = {**current, "max_file_mb": 5, "requirement": "first_name_and_email", "custom_fields": [
        {"key": "tier", "label": "Tier", "kind": "enum", "allowed": ["Silver", "Gold"]}
    ]}  # fmt: skip
    saved = requests.put(f"{stack.api_url}/settings", json=wanted, headers=headers, timeout=30)
    assert saved.status_code == 200
    assert (
        requests.get(f"{stack.api_url}/settings", headers=headers, timeout=30).json()["custom_fields"][0]["key"]
        == "tier"
    )
    # The next import's upload form carries the new limit
    assert api.create_import("c.csv")["upload"]["max_bytes"] == 5 * 1024 * 1024

    broken = {**current, "custom_fields": [{"key": "tier", "label": "Tier", "kind": "enum"}]}
    response = requests.put(f"{stack.api_url}/settings", json=broken, headers=headers, timeout=30)
    assert response.status_code == 422
    assert "enum without allowed values" in response.text


def test_a_tenant_cannot_raise_a_protective_limit_past_the_deployments_ceiling(stack: Any, tenant: str) -> None:
    headers = {"X-Tenant-Id": tenant, "X-User-Email": ADMIN, "Accept-Language": "en"}
    current = requests.get(f"{stack.api_url}/settings", headers=headers, timeout=30).json()

    raised = requests.put(
        f"{stack.api_url}/settings",
        json={**current, "max_file_mb": 1024, "max_compression_ratio": 1e9},
        headers=headers,
        timeout=30,
    )
    assert raised.status_code == 400
    message = raised.json()["message"]
    assert "max_file_mb 1024 is above this deployment's ceiling of 80 MB (MaxFileMbCeiling)" in message
    assert "max_compression_ratio 1e+09 is above this deployment's ceiling of 100x" in message
    patched = requests.patch(f"{stack.api_url}/settings", json={"max_rows": 30_001}, headers=headers, timeout=30)
    assert patched.status_code == 400 and "ceiling of 30000 rows (MaxRowsCeiling)" in patched.json()["message"]
    assert requests.get(f"{stack.api_url}/settings", headers=headers, timeout=30).json() == current

    lowered = requests.patch(f"{stack.api_url}/settings", json={"max_file_mb": 5}, headers=headers, timeout=30)
    assert lowered.status_code == 200 and lowered.json()["max_file_mb"] == 5


def test_a_patch_changes_only_what_it_sends_and_a_stale_etag_is_refused(stack: Any, tenant: str) -> None:
    headers = {"X-Tenant-Id": tenant, "X-User-Email": ADMIN, "Accept-Language": "en"}
    danish = {"default_region": "DK", "name_order": "given_first", "genders": ["Mand", "Kvinde"]}
    first = requests.patch(f"{stack.api_url}/settings", json=danish, headers=headers, timeout=30)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert requests.get(f"{stack.api_url}/settings", headers=headers, timeout=30).headers["ETag"] == etag

    # One field, with the ETag just read: the region, name order and genders stay.
    second = requests.patch(
        f"{stack.api_url}/settings",
        json={"preview_hours": 48, "earn_rule": {"points": 2}},
        headers={**headers, "If-Match": etag},
        timeout=30,
    )
    assert second.status_code == 200 and second.headers["ETag"] != etag
    settings = second.json()
    assert (settings["default_region"], settings["name_order"], settings["genders"]) == (
        "DK",
        "given_first",
        ["Mand", "Kvinde"],
    )
    assert (settings["preview_hours"], settings["earn_rule"]) == (
        48,
        {"spend": 100000, "points": 2, "rounding": "down"},
    )

    # Another admin still holding the first ETag is told, and changes nothing.
    stale = requests.patch(
        f"{stack.api_url}/settings", json={"genders": ["M", "K"]}, headers={**headers, "If-Match": etag}, timeout=30
    )
    assert stale.status_code == 412 and "changed since you read them" in stale.json()["message"]
    assert requests.get(f"{stack.api_url}/settings", headers=headers, timeout=30).json()["genders"] == [
        "Mand",
        "Kvinde",
    ]

    # null resets one field to its default; a value that is not valid is refused naming the field.
    reset = requests.patch(f"{stack.api_url}/settings", json={"genders": None}, headers=headers, timeout=30)
    assert reset.json()["genders"] == ["Nam", "Nữ", "Khác"] and reset.json()["default_region"] == "DK"
    invalid = requests.patch(f"{stack.api_url}/settings", json={"preview_hours": 0}, headers=headers, timeout=30)
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "preview_hours"
    unknown = requests.patch(f"{stack.api_url}/settings", json={"max_rowz": 5}, headers=headers, timeout=30)
    assert unknown.status_code == 400 and "Unknown settings (max_rowz)" in unknown.json()["message"]
