"""Write one part of an export (<= 30,000 customers) and upload it; called by the API for an immediate export and
by the export state machine's Map for emailed ones."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.exports import write_part
from customer_bulk.models.events import ExportTask
from customer_bulk.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse(event=event, model=ExportTask)
    return write_part(stores(), task.tenant_id, task.export_id, task.part or 0, utc_now()).model_dump(mode="json")
