"""S3 ObjectCreated (through the upload queue) -> split the file into chunks for the validators."""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from customer_bulk.clock import utc_now
from customer_bulk.dal import stores
from customer_bulk.logic.split import split_upload
from customer_bulk.models.events import UploadRecord
from customer_bulk.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS, model=UploadRecord)


def handle_record(record: UploadRecord) -> None:
    for event in record.body.records:
        if event.event_name.startswith("ObjectCreated"):
            split_upload(stores(), unquote_plus(event.s3.object_ref.key), event.s3.object_ref.size, utc_now())


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)
