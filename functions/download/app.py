"""GET /downloads/{token}: the links in emails and API answers (docs/adr/0008). Outside the JWT authorizer (an
admin clicks them in a mail client); the signed token is the authorisation. A valid one is redirected to a
presigned S3 GET of a few minutes."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.links import ExpiredLink, InvalidLink, redirect_for
from customer_bulk.observability import logger, metrics, tracer

app = APIGatewayHttpResolver()


@app.get("/downloads/<token>")
def get_download(token: str) -> Response[str]:
    try:
        location = redirect_for(stores(), token, utc_now())
    except ExpiredLink as expired:
        return _text(410, f"{expired} Open the import or export again to get a new link.")
    except InvalidLink as invalid:
        return _text(403, str(invalid))
    return Response(status_code=302, headers={"Location": location, "Cache-Control": "no-store"}, body="")


def _text(status: int, message: str) -> Response[str]:
    return Response(status_code=status, content_type=content_types.TEXT_PLAIN, body=message)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
