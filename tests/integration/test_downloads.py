"""The links an admin opens from an email, days later: our download route, a signed token, a short redirect."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import openpyxl
import requests

from customer_bulk.download_links import Download, make_token
from customer_bulk_local.emulator import LocalStack


def _signing_key(stack: LocalStack) -> bytes:
    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.physical("LinkSigningSecret")["Arn"])
    return str(secret["SecretString"]).encode()


def test_the_emailed_link_is_ours_needs_no_login_and_redirects_to_a_short_sigv4_url(
    stack: LocalStack, importer: Any, csv_file: Any, tmp_path: Path
) -> None:
    run = importer(csv_file(["Email", "First Name"], [["an@shop.vn", "An"], ["broken", "Bình"]]))
    link = run.status["error_report_url"]
    assert link.startswith(f"{stack.api_url}/downloads/")
    (email,) = run.emails
    assert link in email.text  # the same link in the email and in the API: it lives 7 days from the report

    redirect = requests.get(link, allow_redirects=False, timeout=30)  # no token, no tenant header: a mail client
    assert redirect.status_code == 302 and redirect.headers["Cache-Control"] == "no-store"
    target = urlparse(redirect.headers["Location"])
    query = parse_qs(target.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["300"]
    assert target.path.endswith("/reports/" + Path(target.path).name)

    downloaded = tmp_path / "errors.xlsx"
    downloaded.write_bytes(requests.get(link, timeout=30).content)
    rows = list(openpyxl.load_workbook(downloaded)["Invalid rows"].iter_rows(values_only=True))
    assert rows[1][0] == "broken"


def test_an_altered_forged_or_expired_link_is_refused_with_a_reason(
    stack: LocalStack, tenant: str, importer: Any, csv_file: Any
) -> None:
    run = importer(csv_file(["Email"], [["broken"]]))
    link = run.status["error_report_url"]
    base, token = link.rsplit("/", 1)
    payload, signature = token.split(".")

    altered = requests.get(f"{base}/{payload[:-3]}AAA.{signature}", allow_redirects=False, timeout=30)
    forged = requests.get(
        f"{base}/{make_token(b'guessed', Download(tenant, 'jobs/x/y/reports/z', 'z', datetime.now(UTC)))}",
        allow_redirects=False,
        timeout=30,
    )
    assert (altered.status_code, forged.status_code) == (403, 403)
    assert altered.text == "This link is not valid."

    location = requests.get(link, allow_redirects=False, timeout=30).headers["Location"]  # the real one still works
    report_key = urlparse(location).path.split("/", 2)[2]  # path-style locally: /bucket/key
    yesterday = datetime.now(UTC) - timedelta(days=1)
    expired_token = make_token(_signing_key(stack), Download(tenant, report_key, "e.xlsx", yesterday))
    expired = requests.get(f"{base}/{expired_token}", allow_redirects=False, timeout=30)
    assert expired.status_code == 410
    assert expired.text.startswith(f"This link expired on {yesterday:%Y-%m-%d %H:%M} UTC.")
