"""What a person reads in the API's answers is in their language: the one the request asks for (Accept-Language),
else the tenant's. What a client reads (status codes, field names) is the same in every language.

Expected words are looked up in the catalogs, so these tests do not depend on the wording; each also checks that
the translation is not the English, so a broken translation cannot pass."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from customer_bulk.download_links import Download, make_token
from customer_bulk.errors import utc_time
from customer_bulk.i18n import _, speaking
from customer_bulk_local.client import ApiClient, ApiError
from customer_bulk_local.emulator import LocalStack
from customer_bulk_local.http_api import EMAIL_HEADER, TENANT_HEADER
from tests.conftest import ADMIN

UNKNOWN_JOB = "01M83VKJW59V5FD9ZBYEQG1TVF"


def _said(language: str, message: str, **params: Any) -> str:
    """``message`` as the catalog of ``language`` says it; a message said the same in English is a missing one."""
    with speaking(language):
        translated = _(message, **params)
    with speaking("en"):
        english = _(message, **params)
    assert translated != english, f"the {language} catalog does not translate {message!r}"
    return translated


def _refusal(client: ApiClient, job_id: str = UNKNOWN_JOB) -> ApiError:
    with pytest.raises(ApiError) as refused:
        client.status(job_id)
    return refused.value


def test_an_error_is_said_in_the_language_the_request_asks_for(stack: LocalStack, api: ApiClient, tenant: str) -> None:
    english = _refusal(api)
    danish = _refusal(ApiClient(stack.api_url, tenant, ADMIN, language="da-DK, en;q=0.5"))

    assert english.status == danish.status == 404  # the code clients rely on
    assert english.message == f"No import {UNKNOWN_JOB}."
    assert danish.message == _said("da", "No import {job_id}.", job_id=UNKNOWN_JOB)


def test_without_accept_language_the_tenants_language_is_spoken(stack: LocalStack, api: ApiClient, tenant: str) -> None:
    api.update_settings({"language": "it"})
    italian = ApiClient(stack.api_url, tenant, ADMIN)  # sends no Accept-Language
    unasked = ApiClient(stack.api_url, tenant, ADMIN, language="fr-FR, ja")  # asks for none of ours

    for client in (italian, unasked):
        refused = _refusal(client)
        assert refused.status == 404
        assert refused.message == _said("it", "No import {job_id}.", job_id=UNKNOWN_JOB)
    # The request's own language still wins over the tenant's.
    assert _refusal(ApiClient(stack.api_url, tenant, ADMIN, language="da")).message == _said(
        "da", "No import {job_id}.", job_id=UNKNOWN_JOB
    )

    # A refusal the logic raises, and one the API builds around pydantic's words, speak Italian too.
    headers = {TENANT_HEADER: tenant, EMAIL_HEADER: ADMIN}
    unknown = requests.patch(f"{stack.api_url}/settings", json={"max_rowz": 5}, headers=headers, timeout=30)
    assert unknown.status_code == 400
    assert unknown.json()["message"] == _said("it", "Unknown settings ({names}).", names="max_rowz")
    assert unknown.headers["Content-Language"] == "it"

    body = {"file_name": "c.csv", "options": {"match_key": "fax"}}
    invalid = requests.post(f"{stack.api_url}/imports", json=body, headers=headers, timeout=30)
    english = requests.post(
        f"{stack.api_url}/imports", json=body, headers={**headers, "Accept-Language": "en"}, timeout=30
    )
    assert invalid.status_code == english.status_code == 422
    assert invalid.json()["errors"] == english.json()["errors"]  # fields and pydantic's words as they are
    (problem,) = english.json()["errors"]
    summary = f"{problem['field']}: {problem['message']}"
    assert english.json()["message"] == f"Invalid request: {summary}"
    assert invalid.json()["message"] == _said("it", "Invalid request: {problems}", problems=summary)


def test_a_caller_without_a_tenant_is_refused_in_the_language_it_asks_for(stack: LocalStack) -> None:
    headers = {TENANT_HEADER: "bad tenant!", EMAIL_HEADER: ADMIN}
    url = f"{stack.api_url}/imports/{UNKNOWN_JOB}"
    english = requests.get(url, headers=headers, timeout=30)
    danish = requests.get(url, headers={**headers, "Accept-Language": "da"}, timeout=30)

    assert english.status_code == danish.status_code == 403
    claims = re.fullmatch(r"The token must carry the (\S+) and (\S+) claims\.", english.json()["message"])
    assert claims, english.json()["message"]
    assert danish.json()["message"] == _said(
        "da",
        "The token must carry the {tenant_claim} and {email_claim} claims.",
        tenant_claim=claims[1],
        email_claim=claims[2],
    )
    assert (english.headers["Content-Language"], danish.headers["Content-Language"]) == ("en", "da")


def test_a_broken_download_link_is_explained_in_the_browsers_language(stack: LocalStack, tenant: str) -> None:
    forged = f"{stack.api_url}/downloads/forged.token"
    english = requests.get(forged, allow_redirects=False, timeout=30)
    vietnamese = requests.get(forged, headers={"Accept-Language": "vi-VN,vi;q=0.9"}, allow_redirects=False, timeout=30)
    assert english.status_code == vietnamese.status_code == 403
    assert english.text == "This link is not valid."
    assert vietnamese.text == _said("vi", "This link is not valid.")  # read as UTF-8: the answer says its charset
    assert vietnamese.headers["Content-Language"] == "vi"

    secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.physical("LinkSigningSecret")["Arn"])
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    key = f"jobs/{tenant}/{UNKNOWN_JOB}/reports/e.xlsx"
    token = make_token(str(secret["SecretString"]).encode(), Download(tenant, key, "e.xlsx", yesterday))
    expired = requests.get(
        f"{stack.api_url}/downloads/{token}", headers={"Accept-Language": "it"}, allow_redirects=False, timeout=30
    )
    assert expired.status_code == 410
    with speaking("it"):
        when = utc_time(yesterday)  # the locale's way in Italian
    assert expired.text.startswith(_said("it", "This link expired on {expired_at}.", expired_at=when))
