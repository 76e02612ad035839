"""Sending a prepared MIME message through SES (v2 API)."""

from typing import Any

from botocore.exceptions import ClientError

from customer_bulk.dal.clients import aws_client
from customer_bulk.errors import MailRefused

# What SES answers for a message it will never send as it is (throttling and 5xx are retried instead).
PERMANENT = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "BadRequestException",
    "NotFoundException",
    "AccountSuspendedException",
    "SendingPausedException",
}


class Mailer:
    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("sesv2")

    def send_raw(self, sender: str, recipients: list[str], message: bytes) -> str:
        try:
            response = self.client.send_email(
                FromEmailAddress=sender,
                Destination={"ToAddresses": recipients},
                Content={"Raw": {"Data": message}},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in PERMANENT:
                raise MailRefused(f"{code}: {error.response['Error'].get('Message', '')}"[:500]) from error
            raise
        message_id: str = response["MessageId"]
        return message_id
