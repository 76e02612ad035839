"""GET /downloads/{token}: the links in emails and API answers (docs/adr/0008). Outside the JWT authorizer (an
admin clicks them in a mail client); the signed token is the authorisation. A valid one is redirected to a
presigned S3 GET of a few minutes. Why a link does not work is said in the browser's language (its
Accept-Language), English when it asks for none of ours."""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.i18n import SOURCE_LANGUAGE, _, current_language, negotiate, speaking
from customer_bulk.logic.links import ExpiredLink, InvalidLink, redirect_for
from customer_bulk.observability import logger, metrics, tracer

app = APIGatewayHttpResolver()

# A browser reads an unlabelled text/plain answer in a legacy charset: say UTF-8, or Vietnamese and Danish break.
_TEXT = "text/plain; charset=utf-8"


@app.get("/downloads/<token>")
def get_download(token: str) -> Response[str]:
    with speaking(negotiate(app.current_event.headers.get("accept-language")) or SOURCE_LANGUAGE):
        try:
            location = redirect_for(stores(), token, utc_now())
        except ExpiredLink as expired:
            again = _("Open the import or export again to get a new link.")
            return _text(410, f"{expired} {again}")
        except InvalidLink as invalid:
            return _text(403, str(invalid))
    return Response(status_code=302, headers={"Location": location, "Cache-Control": "no-store"}, body="")


def _text(status: int, message: str) -> Response[str]:
    """The answer names its language, and varies with the Accept-Language it was chosen by."""
    headers = {"Content-Language": current_language(), "Vary": "Accept-Language"}
    return Response(status_code=status, content_type=_TEXT, body=message, headers=headers)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
