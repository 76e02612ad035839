"""State machine task: finish an export (or record its failure) and return the notice listing its files."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.exports import export_notice, fail_export, finish_export
from customer_bulk.models.events import ExportTask
from customer_bulk.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse(event=event, model=ExportTask)
    if task.failure is not None:
        cause = str(task.failure.get("Cause") or task.failure.get("Error") or "unknown")
        job = fail_export(stores(), task.tenant_id, task.export_id, cause, utc_now())
    else:
        job = finish_export(stores(), task.tenant_id, task.export_id, utc_now())
    return export_notice(stores(), job).model_dump(mode="json")
