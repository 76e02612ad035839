"""The API keeps its OpenAPI document: Schemathesis walks every route of GET /openapi.json on the local stack with
generated requests, valid and invalid (a few of each, bounded in time), and no answer may be a 5xx, a status the
route does not declare, or a body or content type outside the document. The settings it sends never carry a
webhook (nor any URL): a generated one could otherwise be called when a job ends."""

import json
import time
from collections import Counter
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from customer_bulk_local.client import ApiClient, local_token
from customer_bulk_local.emulator import LocalStack
from tests.conftest import ADMIN

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 4  # per route and mode (valid, invalid): enough to reach each declared answer, quick on the local stack
# Real ids beside generated ones, so that routes reach their answers for jobs that exist.
PATH_IDS = ("job_id", "export_id")


def _without_urls(value: Any) -> Any:
    """A settings body with no webhook and no URL anywhere in it."""
    if isinstance(value, dict):
        return {
            key: _without_urls(item)
            for key, item in value.items()
            if not any(word in str(key).lower() for word in ("webhook", "url", "endpoint"))
        }
    if isinstance(value, list):
        return [_without_urls(item) for item in value]
    if isinstance(value, str) and "://" in value:
        return "x"
    return value


def _urls_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in _urls_in(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls_in(item)]
    return [value] if isinstance(value, str) and "://" in value else []


def test_every_route_answers_within_the_openapi_document(stack: LocalStack, tenant: str) -> None:
    answer = requests.get(f"{stack.api_url}/openapi.json", timeout=30)  # no token: the document is public
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    token = local_token(stack.api_url, tenant, ADMIN)
    assert token is not None
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    api = ApiClient(stack.api_url, tenant, ADMIN, token=token, language="en")
    real = {"job_id": api.create_import("known.csv")["job_id"], "export_id": api.create_export({})["export_id"]}

    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    calls: Counter[str] = Counter()  # per route
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {parameter.name for parameter in operation.path_parameters}
        fixed = {name: real[name] for name in PATH_IDS if name in names}
        strategies = [operation.as_strategy(generation_mode=mode) for mode in schemathesis.GenerationMode]
        if fixed:
            strategies.append(operation.as_strategy(path_parameters=fixed))

        @settings(
            max_examples=EXAMPLES * len(strategies),
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def walk(case: schemathesis.Case) -> None:
            if case.path == "/settings" and case.body is not None:
                case.body = _without_urls(case.body)
            response = case.call(base_url=stack.api_url, headers=headers, timeout=30)
            calls[case.operation.label] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            walk()
        except (AssertionError, BaseExceptionGroup) as error:  # every route is walked; failures reported together
            failures.append(f"{operation.label}: {error}")
    elapsed = time.monotonic() - started

    assert failures == [], "\n\n".join(failures)
    routes = {result.ok().label for result in schema.get_all_operations()}
    assert set(calls) == routes and min(calls.values()) >= EXAMPLES, calls
    assert elapsed < 60, f"the contract walk took {elapsed:.0f} s"
    assert _urls_in(api.settings()) == []  # nothing it sent registered a URL


def test_the_document_and_swagger_ui_need_no_login_and_the_rest_does(stack: LocalStack) -> None:
    swagger = requests.get(f"{stack.api_url}/swagger", timeout=30)
    assert swagger.status_code == 200 and swagger.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in swagger.text and "cdn" not in swagger.text.lower()  # its assets are inline
    refused = requests.get(f"{stack.api_url}/imports", timeout=30)
    assert refused.status_code == 401 and set(refused.json()) == {"message"}
    document = json.loads(requests.get(f"{stack.api_url}/openapi.json", timeout=30).text)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
