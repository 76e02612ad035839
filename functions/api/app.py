"""The HTTP API (behind a JWT authorizer): start imports and exports and follow them.
Errors map to HTTP answers here only.

Every request is answered in one language, chosen once before it is routed (``lambda_handler``): the one its
Accept-Language asks for when that is one of ours, else its tenant's (one read of the tenant's settings), else
English (a token that names no tenant). Messages are people's and follow it; status codes, field names and the
values of enums are clients' and do not."""

import json
import re
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.errors import (
    BadRequestError,
    ConflictError,
    CustomerBulkError,
    NotFoundError,
    PreconditionFailed,
    TemporaryFailure,
)
from customer_bulk.i18n import SOURCE_LANGUAGE, Language, _, current_language, negotiate, speaking
from customer_bulk.logic.exports import create_export, export_status
from customer_bulk.logic.history import export_history, import_history
from customer_bulk.logic.imports import cancel, confirm, create_import, decide_mapping, import_status, rollback
from customer_bulk.logic.review import mapping_review
from customer_bulk.logic.rows import import_rows
from customer_bulk.logic.templates import build_template
from customer_bulk.logic.tenants import (
    replace_tenant_settings,
    settings_with_etag,
    tenant_language,
    update_tenant_settings,
)
from customer_bulk.logic.webhooks import rotate_webhook_secret, webhook_secret
from customer_bulk.models.api import (
    HISTORY_CURSOR_PATTERN,
    HISTORY_LIMIT,
    HISTORY_MAX_LIMIT,
    ROWS_LIMIT,
    ROWS_MAX_LIMIT,
    CreateImportRequest,
    CreateImportResponse,
    ErrorBody,
    ExportHistory,
    ImportHistory,
    ImportRows,
    ImportStatus,
    RowPhase,
    ValidationErrorBody,
)
from customer_bulk.models.export import CreateExportRequest, ExportStatus, ExportView
from customer_bulk.models.job import ImportType, JobStatus
from customer_bulk.models.job_events import WebhookSecret
from customer_bulk.models.mapping import MappingDecision, MappingReview
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.observability import logger, metrics, tracer
from customer_bulk.settings import get_settings
from customer_bulk.spreadsheet.writer import XLSX

app = APIGatewayHttpResolver(enable_validation=True)
# The OpenAPI 3.1 document (GET /openapi.json, Swagger UI at /swagger; a copy in docs/openapi.json): every route with
# its answers, the refusals as the exception handlers below send them, and the JWT the authorizer checks.
app.configure_openapi(
    title="customer-bulk",
    version="0.1.0",
    description=(
        "Bulk import and export of a tenant's customers. Every route needs a bearer token (a JWT whose claims name "
        "the tenant and the admin); refusals carry a `message` in the request's language (`Content-Language`)."
    ),
    security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
    security=[{"bearerAuth": []}],
)
app.enable_swagger(path="/swagger")

_TENANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Unauthorised(CustomerBulkError):
    """The token lacks the claims this API needs."""


def caller() -> tuple[str, str]:
    """(tenant, admin email) from the verified JWT's claims; the authorizer has already checked the signature."""
    known = identity(app.current_event)
    if known is None:
        settings = get_settings()
        raise Unauthorised(
            # Translators: {tenant_claim} and {email_claim} are names of claims of the token, kept as they are.
            _(
                "The token must carry the {tenant_claim} and {email_claim} claims.",
                tenant_claim=settings.tenant_claim,
                email_claim=settings.email_claim,
            )
        )
    return known


def identity(event: APIGatewayProxyEventV2) -> tuple[str, str] | None:
    """(tenant, admin email) as the token's claims name them, or None when they name no valid pair."""
    claims = event.request_context.authorizer.jwt_claim
    settings = get_settings()
    tenant = str(claims.get(settings.tenant_claim) or "")
    email = str(claims.get(settings.email_claim) or "")
    return (tenant, email) if _TENANT_ID.match(tenant) and "@" in email else None


def api_url() -> str:
    """Where this API answers, for the download links of the job being started (PublicApiUrl when the API sits
    behind a custom domain)."""
    configured = get_settings().public_api_url
    if configured:
        return configured.rstrip("/")
    event = app.current_event
    scheme = event.headers.get("x-forwarded-proto") or "https"
    return f"{scheme}://{event.request_context.domain_name}"


def requested_language() -> Language | None:
    """The language the client asked for (Accept-Language), if it is one of ours; None: the tenant's."""
    return negotiate(app.current_event.headers.get("accept-language"))


_REFUSALS = {
    400: "Refused as asked: the message says why.",
    401: "No valid bearer token (answered by the API's JWT authorizer).",
    403: "The token does not name a tenant and an admin.",
    404: "No such job for this tenant.",
    409: "Not in a state that allows this (or changed by someone else meanwhile).",
    412: "If-Match names a revision of the settings that is no longer the current one.",
    422: "The request does not fit this document: each field and what is wrong with it.",
    503: "A temporary failure: try again.",
}


def _answers(successes: dict[int, str | OpenAPIResponse], *refusals: int) -> dict[int, OpenAPIResponse]:
    """A route's answers for the OpenAPI document: its successes (a description alone: the body is what the route
    returns) and its refusals, each with the body the exception handlers send (any route may answer 401, 403, 422)."""
    answers: dict[int, OpenAPIResponse] = {
        code: {"description": success} if isinstance(success, str) else success for code, success in successes.items()
    }
    for code in sorted({401, 403, 422, *refusals}):
        body = ValidationErrorBody if code == 422 else ErrorBody
        answers[code] = {"description": _REFUSALS[code], "content": {content_types.APPLICATION_JSON: {"model": body}}}
    return answers


def answer_language(event: APIGatewayProxyEventV2) -> Language:
    """The language a request is answered in: its Accept-Language's when that names one of ours (nothing read),
    else its tenant's (one read of the tenant's settings), else English (the token names no tenant: refused)."""
    asked = negotiate(event.headers.get("accept-language"))
    if asked is not None:
        return asked
    known = identity(event)
    return tenant_language(stores(), known[0]) if known is not None else SOURCE_LANGUAGE


@app.post("/imports", summary="Start an import", responses=_answers({201: "The job and its upload form."}, 400))
def post_import(request: Annotated[CreateImportRequest, Body()]) -> Response[CreateImportResponse]:
    tenant, email = caller()
    created = create_import(stores(), tenant, email, request, api_url(), utc_now(), requested_language())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


@app.get(
    "/imports",
    summary="The tenant's imports, newest first",
    responses=_answers({200: "A page of imports and the cursor of the next."}),
)
def list_imports(
    limit: Annotated[int, Query(ge=1, le=HISTORY_MAX_LIMIT, description="Imports on the page.")] = HISTORY_LIMIT,
    cursor: Annotated[
        str | None, Query(pattern=HISTORY_CURSOR_PATTERN, description="The previous page's `next_cursor`.")
    ] = None,
    status: Annotated[
        list[JobStatus] | None, Query(description="Only imports in one of these statuses (repeat, or a,b).")
    ] = None,
    import_type: Annotated[list[ImportType] | None, Query(alias="type", description="Only these types.")] = None,
) -> ImportHistory:
    tenant = caller()[0]
    return import_history(stores(), tenant, limit, cursor, status or (), import_type or ())


_FILE: OpenAPIResponse = {
    "description": "The template file (its name in Content-Disposition).",
    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in (XLSX, "text/csv")},
}
_TEMPLATE_QUERY = [
    {"name": "format", "in": "query", "schema": {"enum": ["xlsx", "csv"], "default": "xlsx"}},
    {"name": "type", "in": "query", "schema": {"enum": [kind.value for kind in ImportType], "default": "customers"}},
]


# No request body to validate, and the response validator would read the workbook's bytes as text. The route reads
# its query itself, so the document is told of it here.
@app.get(
    "/imports/template",
    enable_validation=False,
    summary="The tenant's import template",
    responses=_answers({200: _FILE}, 400),
    openapi_extensions={"parameters": _TEMPLATE_QUERY},
)
def get_template() -> Response[bytes]:
    tenant = caller()[0]
    file_format = app.current_event.get_query_string_value("format", "xlsx") or "xlsx"
    import_type = app.current_event.get_query_string_value("type", "customers") or "customers"
    content, content_type, file_name = build_template(stores(), tenant, file_format, import_type, requested_language())
    disposition = {"Content-Disposition": f'attachment; filename="{file_name}"'}
    return Response(status_code=200, content_type=content_type, body=content, headers=disposition)


@app.get("/imports/<job_id>", summary="An import's status", responses=_answers({200: "Its status."}, 404))
def get_import(job_id: str) -> ImportStatus:
    tenant = caller()[0]
    return import_status(stores(), tenant, job_id)


@app.get(
    "/imports/<job_id>/rows",
    summary="A phase's rows and what it decided for each",
    responses=_answers({200: "A page of rows, in file order, and the cursor of the next."}, 404, 409),
)
def get_rows(
    job_id: str,
    phase: Annotated[
        RowPhase | None, Query(description="Whose decisions (default: the latest phase that decided rows).")
    ] = None,
    cursor: Annotated[int | None, Query(ge=0, description="The previous page's `next_cursor`.")] = None,
    limit: Annotated[int, Query(ge=1, le=ROWS_MAX_LIMIT, description="Rows on the page.")] = ROWS_LIMIT,
) -> ImportRows:
    """Each row as uploaded beside its status, changes ({field: [old, new]}), errors and warnings (for a preview
    table); 409 until the phase has decided rows."""
    tenant = caller()[0]
    return import_rows(stores(), tenant, job_id, phase, cursor, limit)


@app.get(
    "/imports/<job_id>/mapping",
    summary="How the file's columns were mapped",
    responses=_answers({200: "Each column: its field, how sure, samples and values."}, 404, 409),
)
def get_mapping(job_id: str) -> MappingReview:
    """How each column was taken (field, how sure, sample values, a choice column's values beside the allowed)."""
    tenant = caller()[0]
    return mapping_review(stores(), tenant, job_id)


@app.put(
    "/imports/<job_id>/mapping",
    summary="Decide the mapping and go on",
    responses=_answers({202: "The import goes on: follow its status."}, 400, 404, 409),
)
def put_mapping(job_id: str, decision: Annotated[MappingDecision, Body()]) -> Response[ImportStatus]:
    """The admin's mapping and value map; the import goes on (a preview or an apply). 202: follow its status."""
    tenant = caller()[0]
    return _accepted(decide_mapping(stores(), tenant, job_id, decision, utc_now()))


@app.post(
    "/imports/<job_id>/confirm",
    summary="Apply a previewed import",
    responses=_answers({202: "Being applied: follow its status."}, 404, 409),
)
def post_confirm(job_id: str) -> Response[ImportStatus]:
    """Apply a previewed import exactly as previewed; answers at once, the outcome comes by email."""
    tenant = caller()[0]
    return _accepted(confirm(stores(), tenant, job_id, utc_now()))


@app.post(
    "/imports/<job_id>/cancel", summary="Discard a previewed import", responses=_answers({200: "Cancelled."}, 404, 409)
)
def post_cancel(job_id: str) -> ImportStatus:
    tenant = caller()[0]
    return cancel(stores(), tenant, job_id, utc_now())


@app.post(
    "/imports/<job_id>/rollback",
    summary="Undo an applied import",
    responses=_answers({202: "Being rolled back: follow its status.", 200: "Already rolled back."}, 404, 409),
)
def post_rollback(job_id: str) -> Response[ImportStatus]:
    """Undo an applied import (202); a second request changes nothing (200)."""
    tenant, email = caller()
    status, started = rollback(stores(), tenant, job_id, email, utc_now())
    return _accepted(status) if started else Response(200, content_types.APPLICATION_JSON, status)


def _accepted(status: ImportStatus) -> Response[ImportStatus]:
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=status)


@app.post(
    "/exports",
    summary="Start an export",
    responses=_answers(
        {201: "Written: the answer carries the links.", 202: "Being written: emailed when done."}, 400, 503
    ),
)
def post_export(request: Annotated[CreateExportRequest, Body()]) -> Response[ExportView]:
    """Up to 10,000 customers: written now, the answer carries the link. More: 202, the links come by email."""
    tenant, email = caller()
    view = create_export(stores(), tenant, email, request, api_url(), utc_now(), requested_language())
    status = 201 if view.status == "completed" else 202
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=view)


@app.get(
    "/exports",
    summary="The tenant's exports, newest first",
    responses=_answers({200: "A page of exports and the cursor of the next."}),
)
def list_exports(
    limit: Annotated[int, Query(ge=1, le=HISTORY_MAX_LIMIT, description="Exports on the page.")] = HISTORY_LIMIT,
    cursor: Annotated[
        str | None, Query(pattern=HISTORY_CURSOR_PATTERN, description="The previous page's `next_cursor`.")
    ] = None,
    status: Annotated[
        list[ExportStatus] | None, Query(description="Only exports in one of these statuses (repeat, or a,b).")
    ] = None,
) -> ExportHistory:
    tenant = caller()[0]
    return export_history(stores(), tenant, limit, cursor, status or ())


@app.get("/exports/<export_id>", summary="An export's status", responses=_answers({200: "Its status."}, 404))
def get_export(export_id: str) -> ExportView:
    tenant = caller()[0]
    return export_status(stores(), tenant, export_id)


_ETAG: OpenAPIResponse = {
    "description": "The settings; send the ETag back as If-Match to change them only if nobody else did.",
    "headers": {"ETag": {"schema": {"type": "string"}}},
}
_IF_MATCH = [{"name": "If-Match", "in": "header", "schema": {"type": "string"}, "description": "A settings ETag."}]


@app.get("/settings", summary="The tenant's settings", responses=_answers({200: _ETAG}))
def get_settings_of_tenant() -> Response[TenantSettings]:
    tenant = caller()[0]
    return _with_etag(*settings_with_etag(stores(), tenant))


@app.put(
    "/settings",
    summary="Replace the tenant's settings",
    responses=_answers({200: _ETAG}, 400, 409, 412),
    openapi_extensions={"parameters": _IF_MATCH},
)
def put_settings_of_tenant(settings: Annotated[TenantSettings, Body()]) -> Response[TenantSettings]:
    """Every field as sent; fields left out take their defaults. PATCH changes only what it sends."""
    tenant = caller()[0]
    return _with_etag(*replace_tenant_settings(stores(), tenant, settings, _if_match()))


@app.patch(
    "/settings",
    summary="Change some of the tenant's settings (a JSON merge patch)",
    responses=_answers({200: _ETAG}, 400, 409, 412),
    openapi_extensions={"parameters": _IF_MATCH},
)
def patch_settings_of_tenant(changes: Annotated[dict[str, Any], Body()]) -> Response[TenantSettings]:
    """A JSON merge patch: the fields sent change, ``null`` resets one to its default, the rest stay."""
    tenant = caller()[0]
    return _with_etag(*update_tenant_settings(stores(), tenant, changes, _if_match()))


@app.get(
    "/settings/webhook-secret",
    summary="The key the tenant's webhook requests are signed with",
    responses=_answers({200: "The secret, and how a request carries its signature."}),
)
def get_webhook_secret() -> WebhookSecret:
    """Derived from the stack's webhook secret for this tenant (docs/adr/0010)."""
    return webhook_secret(stores(), caller()[0])


@app.post(
    "/settings/webhook-secret",
    summary="Replace the webhook signing key",
    responses=_answers({200: "The new secret: deliveries from now on are signed with it."}),
)
def post_webhook_secret() -> WebhookSecret:
    return rotate_webhook_secret(stores(), caller()[0], utc_now())


@app.get("/openapi.json", include_in_schema=False, enable_validation=False)
def get_openapi() -> Response[str]:
    """This API's OpenAPI document (no login: outside the JWT authorizer)."""
    return Response(200, content_types.APPLICATION_JSON, json.dumps(openapi_document(), ensure_ascii=False))


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the routes above (every route's refusals come from ``_answers``: our 422 body
    replaces Powertools' own, whose schemas are then dropped with anything else nothing refers to)."""
    document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = [document["paths"]]
    while pending:
        found = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(pending.pop()))) - used
        used |= found
        pending.extend(schemas[name] for name in found if name in schemas)
    for name in set(schemas) - used:
        del schemas[name]
    return document


def _if_match() -> str | None:
    return app.current_event.headers.get("if-match")


def _with_etag(settings: TenantSettings, etag: str) -> Response[TenantSettings]:
    return Response(200, content_types.APPLICATION_JSON, settings, headers={"ETag": etag})


def _error(status: int, error: Exception) -> Response[dict[str, str]]:
    """The error's message was said in the request's language where it was raised."""
    return _answer(status, {"message": str(error)})


def _answer(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    headers = {"Content-Language": current_language()}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    """Which field, and what was wrong with it (Powertools' default answer leaves out the message). The fields and
    pydantic's own words about them stay as pydantic says them; our sentence around them is translated."""
    problems = [
        {"field": ".".join(str(part) for part in problem["loc"] if part != "body"), "message": problem["msg"]}
        for problem in error.errors()
    ]
    summary = "; ".join(f"{p['field'] or 'body'}: {p['message']}" for p in problems)
    # Translators: {problems} lists each field with what is wrong with it, as pydantic says it (in English).
    return _answer(422, {"message": _("Invalid request: {problems}", problems=summary), "errors": problems})


@app.exception_handler(ValidationError)
def _invalid_settings(error: ValidationError) -> Response[dict[str, Any]]:
    """A merge patch whose result is not valid settings: the same answer as an invalid request body."""
    answer: Response[dict[str, Any]] = _invalid_request(RequestValidationError(error.errors()))
    return answer


@app.exception_handler(PreconditionFailed)
def _precondition_failed(error: PreconditionFailed) -> Response[dict[str, str]]:
    return _error(412, error)


@app.exception_handler(NotFoundError)
def _not_found(error: NotFoundError) -> Response[dict[str, str]]:
    return _error(404, error)


@app.exception_handler(ConflictError)
def _conflict(error: ConflictError) -> Response[dict[str, str]]:
    return _error(409, error)


@app.exception_handler(BadRequestError)
def _bad_request(error: BadRequestError) -> Response[dict[str, str]]:
    return _error(400, error)


@app.exception_handler(TemporaryFailure)
def _temporary_failure(error: TemporaryFailure) -> Response[dict[str, str]]:
    return _error(503, error)


@app.exception_handler(Unauthorised)
def _unauthorised(error: Unauthorised) -> Response[dict[str, str]]:
    return _error(403, error)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Around the whole resolution, so that routes, the logic they call and the exception handlers (which run
    # outside Powertools' middlewares) all speak the request's language.
    with speaking(answer_language(APIGatewayProxyEventV2(event))):
        return app.resolve(event, context)
