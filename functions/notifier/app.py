"""State machine task: email the admin the notice the report task prepared, and publish the job event (each once)."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.job_events import announce
from customer_bulk.models.notice import Notice
from customer_bulk.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    notice = parse(event=event, model=Notice)
    return {"message_id": announce(stores(), notice, utc_now())}
