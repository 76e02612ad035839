"""Starting the import state machine; the execution name makes a second start of the same run a no-op."""

import json
from typing import Any

from customer_bulk.dal.clients import aws_client


class Workflow:
    def __init__(self, state_machine_arn: str) -> None:
        self.state_machine_arn = state_machine_arn

    @property
    def client(self) -> Any:
        """Built on first use and shared by the process (``aws_client``), so a bundle of stores costs nothing."""
        return aws_client("stepfunctions")

    def start(self, name: str, payload: dict[str, Any]) -> bool:
        """True when this call started the execution, False when one with this name already exists."""
        try:
            self.client.start_execution(stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload))
        except self.client.exceptions.ExecutionAlreadyExists:
            return False
        return True
