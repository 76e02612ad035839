"""Chunk messages (FIFO, a few groups per tenant) -> validate rows, write customers where unchanged, count the chunk."""

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.chunks import apply_chunk
from customer_bulk.models.events import ChunkRecord
from customer_bulk.observability import logger, metrics, tracer

# A failed chunk holds back its tenant's later chunks (order matters), never other tenants'.
processor = SqsFifoPartialProcessor(model=ChunkRecord, skip_group_on_error=True)


def handle_record(record: ChunkRecord) -> None:
    apply_chunk(stores(), record.body, utc_now())


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
