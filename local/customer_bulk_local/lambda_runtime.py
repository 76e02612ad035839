"""Running the template's functions in this process, the way Lambda would run them.

Each function gets its handler from CodeUri + Handler (``functions/api/`` + ``app.lambda_handler`` ->
``functions.api.app.lambda_handler``), a Lambda context, and one invocation at a time: a function's module state
(Powertools' resolver and batch processor) belongs to one execution environment, as on AWS.
"""

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class FunctionSpec:
    logical_id: str
    name: str  # physical name
    arn: str
    module: str
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


class LambdaContext:
    """What Powertools reads from a real context object."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + spec.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


_running = threading.local()


class FunctionOutput:
    """sys.stdout while the stack runs: what a function prints goes where Lambda sends it (its logs), not into
    the output of the command that started the stack (``customer-bulk import --json`` must stay one JSON object)."""

    def __init__(self, console: TextIO, logs: TextIO) -> None:
        self.console = console
        self.logs = logs

    def write(self, text: str) -> int:
        return (self.logs if getattr(_running, "function", None) else self.console).write(text)

    def flush(self) -> None:
        self.console.flush()
        self.logs.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


class LambdaRuntime:
    def __init__(self, functions: list[FunctionSpec], after_invoke: Callable[[], None] | None = None) -> None:
        """``after_invoke`` runs after every invocation: what ends with the invocation on Lambda."""
        self.after_invoke = after_invoke
        self.functions = {spec.logical_id: spec for spec in functions}
        self._by_name = {spec.name: spec for spec in functions}
        self._locks = {spec.logical_id: threading.Lock() for spec in functions}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self.invocations: dict[str, int] = {spec.logical_id: 0 for spec in functions}

    def load_all(self) -> None:
        """Import every handler now, in one thread, as Lambda's init phase would (concurrent first imports race)."""
        for spec in self.functions.values():
            self._handler(spec)

    def spec(self, name_or_logical_id: str) -> FunctionSpec:
        spec = self.functions.get(name_or_logical_id) or self._by_name.get(name_or_logical_id)
        if spec is None:
            raise KeyError(f"No function {name_or_logical_id} in the template")
        return spec

    def invoke(self, name_or_logical_id: str, event: Any) -> Any:
        spec = self.spec(name_or_logical_id)
        handler = self._handler(spec)
        with self._locks[spec.logical_id]:
            self.invocations[spec.logical_id] += 1
            outer, _running.function = getattr(_running, "function", None), spec.logical_id
            try:
                return handler(event, LambdaContext(spec))
            finally:
                _running.function = outer
                if self.after_invoke is not None:
                    self.after_invoke()

    def _handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        if spec.logical_id not in self._handlers:
            module = importlib.import_module(spec.module)
            self._handlers[spec.logical_id] = getattr(module, spec.handler)
        return self._handlers[spec.logical_id]
