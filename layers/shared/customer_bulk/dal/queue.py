"""The chunk queue: FIFO, a tenant's chunks spread over a few message groups (chunks sharing a key in one). And the
upload queue, which S3 feeds: an upload is sent through it again when its mapping has been reviewed."""

import json
from typing import Any
from urllib.parse import quote_plus

from customer_bulk.dal.clients import aws_client
from customer_bulk.models.job import ChunkMessage

SEND_BATCH_LIMIT = 10


class ChunkQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("sqs")

    def send(self, messages: list[ChunkMessage]) -> None:
        for start in range(0, len(messages), SEND_BATCH_LIMIT):
            batch = messages[start : start + SEND_BATCH_LIMIT]
            response = self.client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(message.chunk),
                        "MessageBody": message.model_dump_json(),
                        "MessageGroupId": message.message_group,
                        # A retry within SQS's 5-minute window does not enqueue a chunk twice; each phase (preview,
                        # apply, each run of a rollback) is a pass of its own.
                        "MessageDeduplicationId": _deduplication_id(message),
                    }
                    for message in batch
                ],
            )
            if response.get("Failed"):
                failed = ", ".join(
                    f"{entry['Id']}: {entry.get('Message', entry['Code'])}" for entry in response["Failed"]
                )
                raise RuntimeError(f"SQS refused chunk messages ({failed})")


def _deduplication_id(message: ChunkMessage) -> str:
    return f"{message.job_id}-{message.phase.value}{message.run}-{message.chunk}"


class UploadQueue:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    @property
    def client(self) -> Any:
        return aws_client("sqs")

    def resend(self, key: str, size: int) -> None:
        """The upload's ObjectCreated event again (as S3 writes it: the key URL-encoded), for the splitter."""
        event = {
            "Records": [{"eventName": "ObjectCreated:Resent", "s3": {"object": {"key": quote_plus(key), "size": size}}}]
        }
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(event))
