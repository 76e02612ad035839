"""`customer-bulk serve` hosts the browser console on an origin of its own: its static files, a generated
config.json naming the API and the token endpoint, no path outside its folder, and the API answering CORS
preflights from that origin (the console's calls really cross origins, as on AWS behind CloudFront)."""

import http.client
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from customer_bulk_local.console_host import ConsoleHost
from customer_bulk_local.emulator import IGNORED_TYPES

CLI = Path(sys.executable).with_name("customer-bulk")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(API URL, console URL, the console's folder) of a running `customer-bulk serve`."""
    home = tmp_path_factory.mktemp("serve")
    console = home / "console"
    (console / "js").mkdir(parents=True)
    (console / "index.html").write_text("<!doctype html><title>console</title>", "utf-8")
    (console / "js" / "app.js").write_text("export {};", "utf-8")
    (home / "secret.txt").write_text("not the console's", "utf-8")
    server = subprocess.Popen(
        [str(CLI), "serve", "--console-dir", str(console), "--tenant", "acme"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=home,
    )
    try:
        assert server.stdout is not None
        api = server.stdout.readline().strip()
        console_line = server.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", api), server.stderr.read() if server.stderr else ""
        match = re.fullmatch(r"Console: (http://127\.0\.0\.1:\d+/#tenant=acme&email=admin@example\.com)", console_line)
        assert match, console_line
        yield api, match[1], console
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_console_is_served_with_its_config_on_its_own_origin(served: tuple[str, str, Path]) -> None:
    api, console_url, _ = served
    origin = console_url.split("/#", 1)[0]
    assert origin != api
    assert parse_qs(urlsplit(console_url).fragment) == {"tenant": ["acme"], "email": ["admin@example.com"]}

    index = requests.get(f"{origin}/", timeout=10)
    assert (index.status_code, index.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert "<title>console</title>" in index.text
    script = requests.get(f"{origin}/js/app.js", timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript")

    config = requests.get(f"{origin}/config.json", timeout=10).json()
    assert config == {"api": api, "issuer": f"{api}/_local/issuer/token", "languages": ["vi", "en", "it", "da"]}

    # No directory listing, nothing outside the folder, nothing but reading
    # (sent as written: an HTTP client library would resolve the dots before sending)
    host, port = urlsplit(origin).hostname, urlsplit(origin).port
    for path in ("/js/", "/js", "/../secret.txt", "/%2e%2e/secret.txt", "/js/%2e%2e/%2e%2e/secret.txt", "/missing"):
        connection = http.client.HTTPConnection(str(host), port, timeout=10)
        connection.request("GET", path)
        assert connection.getresponse().status == 404, path
        connection.close()
    assert requests.post(f"{origin}/", timeout=10).status_code == 405


def test_the_api_and_its_token_endpoint_answer_the_consoles_origin(served: tuple[str, str, Path]) -> None:
    api, console_url, _ = served
    origin = console_url.split("/#", 1)[0]
    for method, path, headers in (
        ("POST", "/imports", "authorization,content-type"),
        ("PUT", "/imports/01J0000000000000000000000/mapping", "authorization,content-type"),
        ("PATCH", "/settings", "authorization,content-type,if-match"),
        ("POST", "/_local/issuer/token", "content-type"),
    ):
        preflight = requests.options(
            f"{api}{path}",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            },
            timeout=10,
        )
        assert preflight.headers.get("Access-Control-Allow-Origin") in (origin, "*"), (method, path)
        assert method in preflight.headers["Access-Control-Allow-Methods"].split(",")

    issued = requests.post(
        f"{api}/_local/issuer/token",
        json={"tenant": "acme", "email": "admin@example.com"},
        headers={"Origin": origin},
        timeout=10,
    )
    assert issued.headers.get("Access-Control-Allow-Origin") in (origin, "*")
    signed_in = {"Origin": origin, "Authorization": f"Bearer {issued.json()['token']}"}
    settings = requests.get(f"{api}/settings", headers=signed_in, timeout=10)
    assert settings.status_code == 200 and settings.headers["ETag"]
    assert {"ETag", "Content-Disposition"} <= set(settings.headers["Access-Control-Expose-Headers"].split(","))

    # The upload: the presigned POST to S3 (a multipart form, as FormData sends it) passes CORS and S3's checks
    created = requests.post(f"{api}/imports", json={"file_name": "c.csv"}, headers=signed_in, timeout=10).json()
    form = created["upload"]
    s3_preflight = requests.options(
        form["url"], headers={"Origin": origin, "Access-Control-Request-Method": "POST"}, timeout=10
    )
    assert s3_preflight.headers.get("Access-Control-Allow-Origin") in (origin, "*")
    uploaded = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("c.csv", b"Email,First Name\nan@shop.vn,An\n", "text/csv")},
        headers={"Origin": origin},
        timeout=10,
    )
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    assert uploaded.headers.get("Access-Control-Allow-Origin") in (origin, "*")


def test_a_missing_console_folder_is_404_and_config_is_still_served(tmp_path: Path) -> None:
    host = ConsoleHost(tmp_path / "absent", {"api": "http://api", "issuer": None, "languages": ["en"]}).start()
    try:
        assert requests.get(f"{host.url}/", timeout=10).status_code == 404
        assert requests.get(f"{host.url}/config.json", timeout=10).json()["issuer"] is None
    finally:
        host.stop()


def test_the_local_stack_builds_the_console_bucket_and_skips_cloudfront(stack: Any) -> None:
    assert {"AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl"} <= IGNORED_TYPES
    assert stack.resources["ConsoleBucket"]["kind"] == "bucket"
    assert "ConsoleDistribution" not in stack.resources
