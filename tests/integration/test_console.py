"""The admin console end to end in real Chromium, against `customer-bulk serve` and the console origin it hosts: a
fresh tenant signs in from the URL fragment, uploads a small file (the progress bar reaches 100 %), maps a gender
value in the review, previews (green new rows, a yellow changed cell with its old value, a red invalid row),
confirms, rolls back from History and downloads an export of all customers. The outcomes are checked through the
API too; at every step nothing sticks out of a 390 px screen and every control has an accessible name.

Headless Chromium is Debian's (``make browser`` installs it); Playwright drives it and never downloads a browser.
"""

import base64
import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect, sync_playwright

from customer_bulk_local.client import ApiClient, local_token
from customer_bulk_local.console_tour import Served, check_page, serving, tour

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed (no `chromium` on PATH): run `make browser` (apt-get install chromium).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def test_the_console_imports_previews_confirms_rolls_back_and_exports(
    served: Served, browser: Browser, tmp_path: Path
) -> None:
    problems: dict[str, dict[str, list[str]]] = {}
    seen: dict[str, str] = {}

    def on_step(name: str, page: Page) -> None:
        found = check_page(page)
        if found["overflow"] or found["unlabelled"]:
            problems[name] = found
        if name == "preview":
            seen["preview"] = page.locator("#preview-table").inner_html()
        if name == "mapping":
            seen["mapping_lang"] = page.evaluate("document.documentElement.lang")

    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    result = tour(page, served, tmp_path, on_step)

    # The tenant's settings: a change saved with the ETag it was read with.
    hours = page.locator("input[name=preview_hours]")
    hours.fill("48")
    hours.press("Enter")
    expect(page.locator("input[name=preview_hours]")).to_have_value("48")
    expect(page.locator("#live")).to_have_text("Đã lưu cài đặt.")

    # Status updates are spoken (aria-live), and the switcher changes the console's language at once.
    assert page.locator("#live[aria-live=polite]").inner_text().strip()
    page.locator("#language").select_option("en")
    assert page.locator('#nav button[data-view="history"]').inner_text() == "History"
    assert page.evaluate("document.documentElement.lang") == "en"

    # The same screens at a desktop's width: nothing sticks out either.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert check_page(page)["overflow"] == []
    context.close()

    assert errors == []
    assert problems == {}, problems
    assert result.steps == [
        "sign-in",
        "mapping",
        "preview",
        "result",
        "history",
        "rolled-back",
        "export",
        "settings",
    ]
    assert result.upload_seen and max(result.upload_seen) == 100
    assert seen["mapping_lang"] == "vi"  # a fresh tenant's region is VN: the console speaks Vietnamese

    # The preview table: two new rows (green), the known customer's changed name (yellow, the old one shown),
    # the row without a key (red, with its reason).
    preview = seen["preview"]
    assert preview.count('class="created"') == 2
    assert re.search(r'class="changed"[^>]*>Lê Văn Cường<span class="old">[^<]*: Cường</span>', preview)  # was
    assert 'class="invalid"' in preview and "khong-phai-email" in preview and "@" in preview

    # What really happened, through the API.
    api = ApiClient(served.api, result.tenant, "admin@shop.vn")
    job = api.status(result.job_id)
    assert job["status"] == "rolled_back"
    assert (job["created"], job["updated"], job["invalid"]) == (2, 1, 1)
    assert job["warnings"] == 0  # the gender "M" was mapped to "Nam" in the review, so no field was skipped
    assert job["preview"]["new"] == 2 and job["preview"]["changed"] == 1
    assert (job["rollback"]["removed"], job["rollback"]["restored"]) == (2, 1)

    # The export downloaded after the rollback holds the one customer known before, with its old name.
    assert result.download is not None and result.download.suffix == ".xlsx"
    rows = list(openpyxl.load_workbook(result.download).active.iter_rows(values_only=True))
    data = [row for row in rows[1:] if any(row)]
    assert len(data) == 1
    assert "cuong@shop.vn" in data[0] and any("Cường" in str(cell) for cell in data[0])
    assert api.settings()["preview_hours"] == 48
    exports = api.history_exports()["items"]
    assert exports[0]["rows"] == 1


def _config(served: Served, **changes: object) -> str:
    return json.dumps({"api": served.api, "issuer": None, "languages": ["vi", "en", "it", "da"], **changes})


def test_a_host_application_hands_the_console_its_token(served: Served, browser: Browser) -> None:
    token = local_token(served.api, "console-host", "host@shop.vn")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.route("**/config.json", lambda route: route.fulfill(content_type="application/json", body=_config(served)))
    page.goto(served.console.split("#")[0])
    expect(page.locator("#live")).not_to_be_empty()  # waiting for the host, and saying so
    expect(page.locator("#nav")).to_be_hidden()
    page.evaluate("(token) => window.postMessage({type: 'customer-bulk-token', token}, '*')", token)
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    expect(page.locator("#who")).to_contain_text("host@shop.vn")
    context.close()


def test_the_console_signs_in_with_authorization_code_and_pkce(served: Served, browser: Browser) -> None:
    """An identity provider stands in at https://idp.example: discovery, the authorize redirect, the token
    endpoint, which checks that the verifier hashes to the challenge the console sent."""
    token = local_token(served.api, "console-oidc", "oidc@shop.vn")
    idp = "https://idp.example"
    cors = {"Access-Control-Allow-Origin": "*"}
    asked: dict[str, str] = {}

    def authorize(route: Route) -> None:
        query = {name: values[0] for name, values in parse_qs(urlsplit(route.request.url).query).items()}
        asked.update(query)
        back = f"{query['redirect_uri']}?{urlencode({'code': 'the-code', 'state': query['state']})}"
        route.fulfill(status=302, headers={"Location": back})

    def exchange(route: Route) -> None:
        form = {name: values[0] for name, values in parse_qs(route.request.post_data or "").items()}
        digest = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=")
        assert digest.decode() == asked["code_challenge"] and asked["code_challenge_method"] == "S256"
        assert (form["grant_type"], form["code"], form["client_id"]) == ("authorization_code", "the-code", "console")
        route.fulfill(headers=cors, content_type="application/json", body=json.dumps({"id_token": token}))

    discovery = {"authorization_endpoint": f"{idp}/authorize", "token_endpoint": f"{idp}/token"}
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    oidc = {"authority": idp, "client_id": "console"}
    page.route("**/config.json", lambda r: r.fulfill(content_type="application/json", body=_config(served, oidc=oidc)))
    page.route(
        f"{idp}/.well-known/openid-configuration",
        lambda route: route.fulfill(headers=cors, content_type="application/json", body=json.dumps(discovery)),
    )
    page.route(f"{idp}/authorize?*", authorize)
    page.route(f"{idp}/token", exchange)
    page.goto(served.console.split("#")[0])
    expect(page.locator("body[data-ready=true]")).to_be_attached()
    expect(page.locator("#who")).to_contain_text("oidc@shop.vn")
    assert "code=" not in page.url  # the code is not left in the address bar
    context.close()
