"""Links that work on AWS for as long as they say: SigV4 on the bucket's regional endpoint, and our own signed
download tokens for anything a person may open days later."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from customer_bulk.dal.clients import s3_config
from customer_bulk.dal.files import FileStore
from customer_bulk.download_links import Download, ExpiredLink, InvalidLink, link, make_token, read_token

SECRET = b"k" * 64
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
REPORT = "jobs/acme/01M8000000000000000000000A/reports/customers-errors.xlsx"


def _store(region: str, monkeypatch: pytest.MonkeyPatch) -> FileStore:
    """A file store with a client built as on AWS: no endpoint override, a role's session credentials."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.session.Session().client(
        "s3",
        region_name=region,
        aws_access_key_id="ASIAEXAMPLE",
        aws_secret_access_key="secret",
        aws_session_token="session",
        config=s3_config(endpoint_override=False),
    )

    class _OnAws(FileStore):
        @property
        def client(self) -> Any:
            return client

    store = _OnAws("customer-bulk-files-123456789012")
    return store


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-1"])
def test_presigned_gets_are_sigv4_on_the_buckets_regional_virtual_host(
    region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = urlparse(_store(region, monkeypatch).presigned_download(REPORT, "lỗi.xlsx", 300))
    query = parse_qs(url.query)
    assert url.scheme == "https"
    assert url.netloc == f"customer-bulk-files-123456789012.s3.{region}.amazonaws.com"
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Credential"][0].split("/")[2:4] == [region, "s3"]
    assert "X-Amz-Security-Token" in query
    assert "Signature" not in query and "AWSAccessKeyId" not in query  # SigV2's parameters


def test_presigned_upload_forms_are_sigv4_on_the_buckets_regional_virtual_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    form = _store("eu-west-1", monkeypatch).presigned_upload(
        "uploads/acme/01M8000000000000000000000A/c.xlsx", "uploads/acme/01M8000000000000000000000A/", 1024, 900
    )
    assert form["url"] == "https://customer-bulk-files-123456789012.s3.eu-west-1.amazonaws.com/"
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert {"x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} <= set(form["fields"])
    assert "AWSAccessKeyId" not in form["fields"] and "signature" not in form["fields"]


def test_a_token_grants_its_file_until_its_expiry() -> None:
    download = Download("acme", REPORT, "Khách hàng - lỗi.xlsx", NOW + timedelta(days=7))
    token = make_token(SECRET, download)
    assert read_token(SECRET, token, NOW + timedelta(days=6, hours=23)) == download
    with pytest.raises(ExpiredLink, match="expired on 2026-12-09 08:00 UTC"):
        read_token(SECRET, token, NOW + timedelta(days=7))
    assert link("https://api.example/", token) == f"https://api.example/downloads/{token}"


def test_a_token_signed_with_another_key_or_altered_is_refused() -> None:
    token = make_token(SECRET, Download("acme", REPORT, "e.xlsx", NOW + timedelta(days=7)))
    with pytest.raises(InvalidLink):
        read_token(b"another key", token, NOW)
    payload, signature = token.split(".")
    other = make_token(SECRET, Download("other", REPORT.replace("acme", "other"), "e.xlsx", NOW + timedelta(days=7)))
    with pytest.raises(InvalidLink):
        read_token(SECRET, f"{other.split('.')[0]}.{signature}", NOW)  # another payload under this signature
    for broken in ("", ".", payload, f"{payload}.", f"{payload[:-2]}.{signature}", "x" * 5000):
        with pytest.raises(InvalidLink):
            read_token(SECRET, broken, NOW)


def test_a_token_only_ever_opens_reports_and_exports_of_its_own_tenant() -> None:
    expires = NOW + timedelta(days=1)
    for key in (
        "jobs/other/01M8000000000000000000000A/reports/e.xlsx",  # another tenant's report
        "uploads/acme/01M8000000000000000000000A/customers.xlsx",  # an upload
        "undo/acme/01M8000000000000000000000A/00000.json",  # before-images
    ):
        with pytest.raises(InvalidLink):
            read_token(SECRET, make_token(SECRET, Download("acme", key, "f", expires)), NOW)
    export = "exports/acme/01M8000000000000000000000B/files/customers.csv"
    assert read_token(SECRET, make_token(SECRET, Download("acme", export, "c.csv", expires)), NOW).key == export
