"""Job events from the webhook queue -> the tenant's webhook, signed; a failed delivery comes back later."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.webhooks import deliver_from_queue
from customer_bulk.models.job_events import JobEventRecord
from customer_bulk.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, model=JobEventRecord)


def handle_record(record: JobEventRecord) -> None:
    attempt = int(record.attributes.ApproximateReceiveCount or 1)
    deliver_from_queue(stores(), record.body.detail, record.receiptHandle, attempt, utc_now())


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
