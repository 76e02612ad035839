"""The HTTP API (behind a JWT authorizer): start imports and exports and follow them.
Errors map to HTTP answers here only."""

import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
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
from customer_bulk.logic.exports import create_export, export_status
from customer_bulk.logic.imports import cancel, confirm, create_import, import_status, rollback
from customer_bulk.logic.templates import build_template
from customer_bulk.logic.tenants import replace_tenant_settings, settings_with_etag, update_tenant_settings
from customer_bulk.models.api import CreateImportRequest, CreateImportResponse, ImportStatus
from customer_bulk.models.export import CreateExportRequest, ExportView
from customer_bulk.models.tenant import TenantSettings
from customer_bulk.observability import logger, metrics, tracer
from customer_bulk.settings import get_settings

app = APIGatewayHttpResolver(enable_validation=True)

_TENANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Unauthorised(CustomerBulkError):
    """The token lacks the claims this API needs."""


def caller() -> tuple[str, str]:
    """(tenant, admin email) from the verified JWT's claims; the authorizer has already checked the signature."""
    claims = app.current_event.request_context.authorizer.jwt_claim
    settings = get_settings()
    tenant = str(claims.get(settings.tenant_claim) or "")
    email = str(claims.get(settings.email_claim) or "")
    if not _TENANT_ID.match(tenant) or "@" not in email:
        raise Unauthorised(f"The token must carry the {settings.tenant_claim} and {settings.email_claim} claims.")
    return tenant, email


def api_url() -> str:
    """Where this API answers, for the download links of the job being started (PublicApiUrl when the API sits
    behind a custom domain)."""
    configured = get_settings().public_api_url
    if configured:
        return configured.rstrip("/")
    event = app.current_event
    scheme = event.headers.get("x-forwarded-proto") or "https"
    return f"{scheme}://{event.request_context.domain_name}"


@app.post("/imports")
def post_import(request: Annotated[CreateImportRequest, Body()]) -> Response[CreateImportResponse]:
    tenant, email = caller()
    created = create_import(stores(), tenant, email, request, api_url(), utc_now())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


# No request body to validate, and the response validator would read the workbook's bytes as text.
@app.get("/imports/template", enable_validation=False)
def get_template() -> Response[bytes]:
    tenant, _ = caller()
    file_format = app.current_event.get_query_string_value("format", "xlsx") or "xlsx"
    import_type = app.current_event.get_query_string_value("type", "customers") or "customers"
    content, content_type, file_name = build_template(stores(), tenant, file_format, import_type)
    disposition = {"Content-Disposition": f'attachment; filename="{file_name}"'}
    return Response(status_code=200, content_type=content_type, body=content, headers=disposition)


@app.get("/imports/<job_id>")
def get_import(job_id: str) -> ImportStatus:
    tenant, _ = caller()
    return import_status(stores(), tenant, job_id)


@app.post("/imports/<job_id>/confirm")
def post_confirm(job_id: str) -> Response[ImportStatus]:
    """Apply a previewed import exactly as previewed; answers at once, the outcome comes by email."""
    tenant, _ = caller()
    return _accepted(confirm(stores(), tenant, job_id, utc_now()))


@app.post("/imports/<job_id>/cancel")
def post_cancel(job_id: str) -> ImportStatus:
    tenant, _ = caller()
    return cancel(stores(), tenant, job_id, utc_now())


@app.post("/imports/<job_id>/rollback")
def post_rollback(job_id: str) -> Response[ImportStatus]:
    """Undo an applied import (202); a second request changes nothing (200)."""
    tenant, email = caller()
    status, started = rollback(stores(), tenant, job_id, email, utc_now())
    return _accepted(status) if started else Response(200, content_types.APPLICATION_JSON, status)


def _accepted(status: ImportStatus) -> Response[ImportStatus]:
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=status)


@app.post("/exports")
def post_export(request: Annotated[CreateExportRequest, Body()]) -> Response[ExportView]:
    """Up to 10,000 customers: written now, the answer carries the link. More: 202, the links come by email."""
    tenant, email = caller()
    view = create_export(stores(), tenant, email, request, api_url(), utc_now())
    status = 201 if view.status == "completed" else 202
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=view)


@app.get("/exports/<export_id>")
def get_export(export_id: str) -> ExportView:
    tenant, _ = caller()
    return export_status(stores(), tenant, export_id)


@app.get("/settings")
def get_settings_of_tenant() -> Response[TenantSettings]:
    tenant, _ = caller()
    return _with_etag(*settings_with_etag(stores(), tenant))


@app.put("/settings")
def put_settings_of_tenant(settings: Annotated[TenantSettings, Body()]) -> Response[TenantSettings]:
    """Every field as sent; fields left out take their defaults. PATCH changes only what it sends."""
    tenant, _ = caller()
    return _with_etag(*replace_tenant_settings(stores(), tenant, settings, _if_match()))


@app.patch("/settings")
def patch_settings_of_tenant(changes: Annotated[dict[str, Any], Body()]) -> Response[TenantSettings]:
    """A JSON merge patch: the fields sent change, ``null`` resets one to its default, the rest stay."""
    tenant, _ = caller()
    return _with_etag(*update_tenant_settings(stores(), tenant, changes, _if_match()))


def _if_match() -> str | None:
    return app.current_event.headers.get("if-match")


def _with_etag(settings: TenantSettings, etag: str) -> Response[TenantSettings]:
    return Response(200, content_types.APPLICATION_JSON, settings, headers={"ETag": etag})


def _error(status: int, error: Exception) -> Response[dict[str, str]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body={"message": str(error)})


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    """Which field, and what was wrong with it (Powertools' default answer leaves out the message)."""
    problems = [
        {"field": ".".join(str(part) for part in problem["loc"] if part != "body"), "message": problem["msg"]}
        for problem in error.errors()
    ]
    summary = "; ".join(f"{p['field'] or 'body'}: {p['message']}" for p in problems)
    body = {"message": f"Invalid request: {summary}", "errors": problems}
    return Response(status_code=422, content_type=content_types.APPLICATION_JSON, body=body)


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
    return app.resolve(event, context)
