"""State machine task: cut an export into parts of at most 30,000 customers."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.exports import plan_export
from customer_bulk.models.events import ExportTask
from customer_bulk.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse(event=event, model=ExportTask)
    return {"parts": plan_export(stores(), task.tenant_id, task.export_id, utc_now())}
