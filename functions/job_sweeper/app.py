"""Every few minutes: finalise jobs that stopped making progress (no job hangs)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.sweep import finalise_stalled_jobs
from customer_bulk.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return {"finalised": finalise_stalled_jobs(stores(), utc_now())}
