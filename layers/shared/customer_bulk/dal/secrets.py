"""The key that signs our download links, kept in Secrets Manager (the template generates it)."""

from typing import Any

from customer_bulk.dal.clients import aws_client


class SigningKey:
    def __init__(self, secret_id: str) -> None:
        self.secret_id = secret_id

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("secretsmanager")

    def read(self) -> bytes:
        secret: str = self.client.get_secret_value(SecretId=self.secret_id)["SecretString"]
        return secret.encode()
