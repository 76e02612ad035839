"""The OpenAPI document: docs/openapi.json is what the app generates (`make openapi` writes it), valid OpenAPI 3.1,
and it declares the refusals exactly as the exception handlers send them. That the running API keeps to it is
tests/integration/test_contract.py's."""

from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from customer_bulk.models.api import ErrorBody, ValidationErrorBody
from customer_bulk_local.openapi import render
from functions.api import app as api

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
METHODS = {"get", "put", "post", "patch", "delete"}


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_docs_openapi_json_is_what_the_app_generates() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), "the API changed: run `make openapi`"


def test_the_document_is_valid_openapi_3_1_with_every_route_of_the_app() -> None:
    document = api.openapi_document()
    validate(document)
    assert document["openapi"].startswith("3.1")
    routes = {
        (route.method, route.openapi_path)
        for route in [*api.app._static_routes, *api.app._dynamic_routes]
        if route.include_in_schema
    }
    assert {(method, path) for method, path, _ in _operations(document)} == routes
    assert ("GET", "/imports") in routes and ("GET", "/exports") in routes
    assert "/openapi.json" not in document["paths"] and "/swagger" not in document["paths"]


def test_every_route_needs_the_bearer_jwt_and_declares_the_refusals_as_the_handlers_send_them() -> None:
    document = api.openapi_document()
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT"
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # Powertools' 422 body, which we never send
    assert schemas["ErrorBody"] == ErrorBody.model_json_schema()
    for method, path, operation in _operations(document):
        answers = operation["responses"]
        assert {"401", "403", "422"} <= set(answers), (method, path)
        assert any(code.startswith("2") for code in answers), (method, path)
        for code, answer in answers.items():
            if code.startswith("2"):
                continue
            body = "ValidationErrorBody" if code == "422" else "ErrorBody"
            assert answer["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{body}"}


@pytest.mark.parametrize(
    ("path", "query", "claims", "status", "model"),
    [
        ("/imports", "limit=500", {"custom:tenant_id": "acme", "email": "a@shop.example"}, 422, ValidationErrorBody),
        (
            "/imports",
            "cursor=JOB%23x",
            {"custom:tenant_id": "acme", "email": "a@shop.example"},
            422,
            ValidationErrorBody,
        ),
        (
            "/exports",
            "status=running",
            {"custom:tenant_id": "acme", "email": "a@shop.example"},
            422,
            ValidationErrorBody,
        ),
    ],
)
def test_the_handlers_refusals_fit_the_declared_bodies(
    path: str, query: str, claims: dict[str, str], status: int, model: Any
) -> None:
    """Refused before anything is read (Accept-Language names the language, so not even the tenant's settings)."""
    event = {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"accept-language": "en"},
        "queryStringParameters": dict(part.split("=") for part in query.split("&") if part) or None,
        "requestContext": {
            "http": {"method": "GET", "path": path},
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    answer = api.app.resolve(event, None)  # type: ignore[arg-type]
    assert answer["statusCode"] == status
    model.model_validate_json(answer["body"])
