"""The local HTTP API behaves as the deployed one: JWT authorizer, CORS from the template, no local-only habit a
browser client could come to rely on."""

import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from customer_bulk_local.client import local_token
from customer_bulk_local.emulator import LocalStack
from tests.conftest import ADMIN

ORIGIN = "https://console.shop.example"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_from_the_issuer_is_the_caller_and_anything_else_is_401(stack: LocalStack, tenant: str) -> None:
    token = local_token(stack.api_url, tenant, ADMIN)
    assert token is not None
    accepted = requests.post(
        f"{stack.api_url}/imports", json={"file_name": "c.csv"}, headers=_bearer(token), timeout=30
    )
    assert accepted.status_code == 201
    assert accepted.json()["upload"]["fields"]["key"].startswith(f"uploads/{tenant}/")

    claims = jwt.decode(token, options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(token)["kid"]
    refused = {
        "expired": stack.issuer.token(tenant, ADMIN, lifetime_s=60, now=time.time() - 3600),
        "another audience": jwt.encode(
            {**claims, "aud": "someone-else"}, other_key, algorithm="RS256", headers={"kid": kid}
        ),
        "signed by another key": jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": kid}),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
        "not a token": "abc.def.ghi",
    }
    answers = {
        case: requests.get(f"{stack.api_url}/settings", headers=_bearer(value), timeout=30).status_code
        for case, value in refused.items()
    }
    assert answers == dict.fromkeys(refused, 401)
    # A token beats the local header shortcut: a bad one is not rescued by X-Tenant-Id.
    shortcut = {"X-Tenant-Id": tenant, "X-User-Email": ADMIN}
    mixed = requests.get(f"{stack.api_url}/settings", headers={**shortcut, **_bearer("x.y.z")}, timeout=30)
    assert mixed.status_code == 401
    assert requests.get(f"{stack.api_url}/settings", timeout=30).status_code == 401


def test_preflights_and_answers_carry_the_templates_cors_configuration(stack: LocalStack, tenant: str) -> None:
    preflight = requests.options(
        f"{stack.api_url}/settings",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type,if-match",
        },
        timeout=30,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(",")) >= {"GET", "POST", "PUT", "PATCH"}
    assert "if-match" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Max-Age"] == "600"

    # The local header shortcut is not an allowed header: a browser app cannot be built on it.
    shortcut = requests.options(
        f"{stack.api_url}/settings",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-tenant-id",
        },
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in shortcut.headers

    token = local_token(stack.api_url, tenant, ADMIN)
    assert token is not None
    answer = requests.get(f"{stack.api_url}/settings", headers={"Origin": ORIGIN, **_bearer(token)}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    assert {"ETag", "Content-Disposition"} <= set(answer.headers["Access-Control-Expose-Headers"].split(","))
    unauthorised = requests.get(f"{stack.api_url}/settings", headers={"Origin": ORIGIN}, timeout=30)
    assert unauthorised.status_code == 401 and "Access-Control-Allow-Origin" in unauthorised.headers


@pytest.mark.parametrize("path", ["/_local/issuer/.well-known/jwks.json"])
def test_the_issuer_publishes_its_keys(stack: LocalStack, path: str) -> None:
    keys: Any = requests.get(f"{stack.api_url}{path}", timeout=30).json()["keys"]
    assert [(key["kty"], key["alg"], key["use"]) for key in keys] == [("RSA", "RS256", "sig")]
