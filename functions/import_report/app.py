"""State machine task: finish a phase of the job (aggregate, workbook, link) or record its failure; returns the
notice."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.report import build_report, fail_job
from customer_bulk.models.events import ReportTask
from customer_bulk.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse(event=event, model=ReportTask)
    if task.failure is not None:
        cause = str(task.failure.get("Cause") or task.failure.get("Error") or "unknown")
        notice = fail_job(stores(), task.tenant_id, task.job_id, cause, utc_now(), task.phase)
    else:
        notice = build_report(stores(), task.tenant_id, task.job_id, utc_now(), task.phase)
    return notice.model_dump(mode="json")
