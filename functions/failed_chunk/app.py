"""Chunks that reached the dead-letter queue -> count their rows as not processed, so the job still finishes."""

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.chunks import record_failed_chunk
from customer_bulk.models.events import ChunkRecord
from customer_bulk.observability import logger, metrics, tracer

processor = SqsFifoPartialProcessor(model=ChunkRecord, skip_group_on_error=True)


def handle_record(record: ChunkRecord) -> None:
    record_failed_chunk(stores(), record.body, utc_now())


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
