"""Sending a prepared MIME message through SES (v2 API)."""

from customer_bulk.dal.clients import aws_client


class Mailer:
    def __init__(self) -> None:
        self.client = aws_client("sesv2")

    def send_raw(self, sender: str, recipients: list[str], message: bytes) -> str:
        response = self.client.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": recipients},
            Content={"Raw": {"Data": message}},
        )
        message_id: str = response["MessageId"]
        return message_id
