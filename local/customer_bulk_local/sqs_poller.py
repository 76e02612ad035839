"""Lambda's SQS event source mapping, emulated: moto's own hands one record per call and ignores
``batchItemFailures``, so the local stack polls each queue itself.

Per batch: receive up to BatchSize messages, invoke the function with an SQS event, delete what succeeded. Failed
messages (listed in ``batchItemFailures``, or the whole batch when the function raises) stay in the queue and come
back when their visibility timeout ends; the local stack shortens that wait (``retry_delay_s``) instead of sitting
out the template's 12 minutes. After the queue's maxReceiveCount, SQS itself (moto) moves them to the DLQ.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("customer_bulk_local.sqs")


@dataclass
class EventSource:
    function: str  # logical id
    queue_url: str
    queue_arn: str
    batch_size: int
    reports_failures: bool


class QueuePoller(threading.Thread):
    def __init__(
        self,
        sqs: Any,
        source: EventSource,
        invoke: Callable[[str, Any], Any],
        region: str,
        retry_delay_s: float,
        duplicate_deliveries: bool,
        stopping: threading.Event,
    ) -> None:
        super().__init__(name=f"poll-{source.function}", daemon=True)
        self.sqs = sqs
        self.source = source
        self.invoke = invoke
        self.region = region
        self.retry_delay_s = retry_delay_s
        self.duplicate_deliveries = duplicate_deliveries
        self.stopping = stopping
        self.busy = threading.Event()
        self.batches = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.poll_once(wait_s=1)
            except Exception:
                if not self.stopping.is_set():
                    log.exception("Polling %s failed", self.source.function)
                    self.stopping.wait(0.2)

    def poll_once(self, wait_s: int = 0) -> int:
        response = self.sqs.receive_message(
            QueueUrl=self.source.queue_url,
            MaxNumberOfMessages=self.source.batch_size,
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        self.busy.set()
        try:
            self._deliver(messages)
        finally:
            self.busy.clear()
        return len(messages)

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(message) for message in messages]}
        failed = self._invoke(event)
        if self.duplicate_deliveries and not failed:
            failed = self._invoke(event)  # at-least-once: the same batch delivered a second time
        self.batches += 1
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.source.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=max(0, round(self.retry_delay_s)),
                )

    def _invoke(self, event: dict[str, Any]) -> set[str]:
        every_id = {record["messageId"] for record in event["Records"]}
        try:
            result = self.invoke(self.source.function, event)
        except Exception:
            log.warning("%s raised; its batch will be retried", self.source.function, exc_info=True)
            return every_id
        if not self.source.reports_failures:
            return set()
        failures = (result or {}).get("batchItemFailures", [])
        return {failure["itemIdentifier"] for failure in failures}

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.source.queue_arn,
            "awsRegion": self.region,
        }
