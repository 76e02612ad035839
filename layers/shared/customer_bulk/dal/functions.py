"""Calling another of our functions synchronously (the immediate export writes its file while the API waits)."""

import json
from typing import Any

from customer_bulk.dal.clients import aws_client


class FunctionCaller:
    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("lambda")

    def call(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.client.invoke(
            FunctionName=self.function_name, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
        )
        body = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            raise RuntimeError(f"{self.function_name} failed: {body.get('errorType')}: {body.get('errorMessage')}")
        result: dict[str, Any] = body
        return result
