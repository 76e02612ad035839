"""Running the template's functions the way Lambda would run them: one invocation at a time per function (a
function's module state, Powertools' resolver and batch processor, belongs to one execution environment).

- In this process (the default, fast): the handler from CodeUri + Handler (``functions/api/`` +
  ``app.lambda_handler`` -> ``functions.api.app.lambda_handler``) imported from the source tree.
- From the built artifact: each function in a worker process of its own (``lambda_worker``), whose import path is
  only what Lambda's runtime gives (the function's built folder, its layers, the runtime's packages) and whose
  environment is the function's own (Globals + its Environment). What the artifact lacks fails there.
"""

import importlib
import json
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from customer_bulk_local.iam import Policy


@dataclass
class FunctionSpec:
    logical_id: str
    name: str  # physical name
    arn: str
    module: str  # in process: the handler's module by package path (functions.api.app)
    handler: str
    handler_path: str  # as the template writes it (app.lambda_handler): a worker imports it from the function folder
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy: Policy | None = None  # its role's statements (None: not enforced)
    artifact: "Artifact | None" = None  # run from the built artifact in a worker process


@dataclass
class Artifact:
    """Where a function's built code is, and the environment Lambda gives it."""

    import_path: list[str]  # the function's folder, its layers' python/ folders, the runtime's packages
    environment: dict[str, str]


class FunctionError(Exception):
    """A function run in a worker raised: its type and message, as Lambda reports them."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error


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


def current_function() -> str | None:
    """The logical id of the function this thread is running, if any."""
    return getattr(_running, "function", None)


def run_as(function: str | None, work: Callable[..., Any]) -> Callable[..., Any]:
    """``work`` as the given function runs it, in whatever thread (a function's worker threads act with its role:
    s3transfer moves files in threads of its own)."""

    def bound(*args: Any, **kwargs: Any) -> Any:
        outer, _running.function = current_function(), function
        try:
            return work(*args, **kwargs)
        finally:
            _running.function = outer

    return bound


@dataclass
class RecordedCall:
    """One AWS call a function made: when (perf_counter), how long it took on this stack, the calling thread's CPU
    meanwhile (the client's own work), what was sent and answered (references, not copies)."""

    service: str
    operation: str
    started: float
    wall_s: float
    cpu_s: float
    thread: int
    params: dict[str, Any]
    response: Any


@dataclass
class RecordedInvocation:
    function: str
    started: float
    thread: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0  # the invoking thread's CPU (time.thread_time), not the emulator's
    children_cpu_s: float = 0.0  # CPU of child processes reaped meanwhile (a file read in isolation)
    calls: list[RecordedCall] = field(default_factory=list)


class CallRecorder:
    """Off unless set as ``LambdaRuntime.recorder``: every in-process invocation, with its CPU and its AWS calls
    in order (for benchmarks that model AWS from the work measured here). One invocation at a time per function,
    so a call made from a function's worker thread belongs to that function's open invocation."""

    def __init__(self) -> None:
        self.invocations: list[RecordedInvocation] = []
        self._open: dict[str, RecordedInvocation] = {}
        self._lock = threading.Lock()

    def begin(self, function: str) -> RecordedInvocation:
        invocation = RecordedInvocation(function, time.perf_counter(), threading.get_ident())
        with self._lock:
            self._open[function] = invocation
            self.invocations.append(invocation)
        return invocation

    def end(self, invocation: RecordedInvocation) -> None:
        with self._lock:
            self._open.pop(invocation.function, None)

    def call(self, function: str, call: RecordedCall) -> None:
        with self._lock:
            invocation = self._open.get(function)
            if invocation is not None:
                invocation.calls.append(call)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
        self._workers: dict[str, WorkerProcess] = {}
        self.worker_logs: TextIO | None = None  # where workers' output goes (their log streams)
        self.invocations: dict[str, int] = {spec.logical_id: 0 for spec in functions}
        self.recorder: CallRecorder | None = None  # set to record invocations and their calls (in process only)

    def load_all(self) -> None:
        """Import every in-process handler now, in one thread, as Lambda's init phase would (concurrent first
        imports race). Workers start on their first invocation."""
        for spec in self.functions.values():
            if spec.artifact is None:
                self._handler(spec)

    def spec(self, name_or_logical_id: str) -> FunctionSpec:
        spec = self.functions.get(name_or_logical_id) or self._by_name.get(name_or_logical_id)
        if spec is None:
            raise KeyError(f"No function {name_or_logical_id} in the template")
        return spec

    def invoke(self, name_or_logical_id: str, event: Any) -> Any:
        spec = self.spec(name_or_logical_id)
        if spec.artifact is not None:
            with self._locks[spec.logical_id]:
                self.invocations[spec.logical_id] += 1
                return self._worker(spec).invoke(event)
        handler = self._handler(spec)
        with self._locks[spec.logical_id]:
            self.invocations[spec.logical_id] += 1
            outer, _running.function = getattr(_running, "function", None), spec.logical_id
            recorder = self.recorder
            recorded = recorder.begin(spec.logical_id) if recorder is not None else None
            cpu, children = time.thread_time(), _children_cpu()
            try:
                return handler(event, LambdaContext(spec))
            finally:
                if recorder is not None and recorded is not None:
                    recorded.cpu_s = time.thread_time() - cpu
                    recorded.children_cpu_s = _children_cpu() - children
                    recorded.wall_s = time.perf_counter() - recorded.started
                    recorder.end(recorded)
                _running.function = outer
                if self.after_invoke is not None:
                    self.after_invoke()

    def stop(self) -> None:
        for worker in self._workers.values():
            worker.stop()

    def _handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        if spec.logical_id not in self._handlers:
            module = importlib.import_module(spec.module)
            self._handlers[spec.logical_id] = getattr(module, spec.handler)
        return self._handlers[spec.logical_id]

    def _worker(self, spec: FunctionSpec) -> "WorkerProcess":
        worker = self._workers.get(spec.logical_id)
        if worker is None or not worker.alive:
            worker = self._workers[spec.logical_id] = WorkerProcess(spec, self.worker_logs)
        return worker


class WorkerProcess:
    """A function's execution environment as a process: started on first use (its init phase), fed one event per
    line, killed and replaced when an invocation outlives the function's timeout (as Lambda does)."""

    BOOTSTRAP = Path(__file__).with_name("lambda_worker.py")

    def __init__(self, spec: FunctionSpec, logs: TextIO | None) -> None:
        assert spec.artifact is not None
        self.spec = spec
        environment = {**spec.artifact.environment, "LOCAL_LAMBDA_PATH": json.dumps(spec.artifact.import_path)}
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our bootstrap, the template's handler
            [sys.executable, "-I", "-S", str(self.BOOTSTRAP), spec.handler_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=environment,
            cwd=spec.artifact.import_path[0],
        )
        self._logs = threading.Thread(target=self._pump_logs, args=(logs,), name=f"logs-{spec.logical_id}", daemon=True)
        self._logs.start()
        ready = self._reply(timeout_s=120)
        if "init_error" in ready:
            self.stop()
            raise FunctionError(ready["init_error"])
        if logs is not None:
            logs.write(f"[{spec.logical_id}] INIT {spec.handler_path} from {spec.artifact.import_path[0]}\n")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, event: Any) -> Any:
        context = LambdaContext(self.spec)
        fields = {
            "function_name": context.function_name,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "timeout_s": self.spec.timeout_s,
        }
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"event": event, "context": fields}) + "\n")
        self.process.stdin.flush()
        reply = self._reply(timeout_s=self.spec.timeout_s)
        if "error" in reply:
            raise FunctionError(reply["error"])
        return reply["result"]

    def stop(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait(timeout=10)

    def _reply(self, timeout_s: float) -> dict[str, Any]:
        answer: list[str] = []
        reader = threading.Thread(target=lambda: answer.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout_s)
        if not answer or not answer[0]:
            self.stop()
            if reader.is_alive():
                raise TimeoutError(f"{self.spec.name}: Task timed out after {timeout_s:.2f} seconds")
            raise FunctionError({"errorType": "Runtime.ExitError", "errorMessage": f"{self.spec.name} exited"})
        reply: dict[str, Any] = json.loads(answer[0])
        return reply

    def _pump_logs(self, logs: TextIO | None) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if logs is not None:
                logs.write(f"[{self.spec.logical_id}] {line}")
