"""The key that signs our download links, kept in Secrets Manager (the template generates it)."""

from customer_bulk.dal.clients import aws_client


class SigningKey:
    def __init__(self, secret_id: str) -> None:
        self.secret_id = secret_id
        self.client = aws_client("secretsmanager")

    def read(self) -> bytes:
        secret: str = self.client.get_secret_value(SecretId=self.secret_id)["SecretString"]
        return secret.encode()
