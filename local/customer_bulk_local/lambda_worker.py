"""One Lambda execution environment, run as its own process by the local stack (standard library only).

Started as ``python -I -S lambda_worker.py HANDLER`` with the import path Lambda would give in the environment
variable ``LOCAL_LAMBDA_PATH`` (the function's folder, the layers, the runtime's packages): no site-packages, no
source tree. It imports the handler once (the init phase), says ``{"ready": true}``, then answers one invocation
per line of standard input with one line on the protocol channel. What the function prints goes to standard
error (its log), so it can never corrupt an answer.
"""

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name = fields["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = fields["invoked_function_arn"]
        self.memory_limit_in_mb = fields["memory_limit_in_mb"]
        self.aws_request_id = fields["aws_request_id"]
        self.log_group_name = fields["log_group_name"]
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + fields["timeout_s"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def main() -> None:
    sys.path[:0] = json.loads(os.environ.pop("LOCAL_LAMBDA_PATH"))
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # the function's stdout (Powertools' metrics, prints) is its log, as on Lambda
    module_name, handler_name = sys.argv[1].rsplit(".", 1)
    try:
        handler = getattr(importlib.import_module(module_name), handler_name)
    except BaseException as error:  # noqa: BLE001 - Lambda reports any init failure as Runtime.ImportModuleError
        protocol.write(json.dumps({"init_error": _error(error)}) + "\n")
        return
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = {"result": handler(request["event"], LambdaContext(request["context"]))}
        except Exception as error:  # noqa: BLE001 - whatever the handler raises is the invocation's error
            reply = {"error": _error(error)}
        sys.stderr.flush()
        protocol.write(json.dumps(reply, default=str) + "\n")


if __name__ == "__main__":
    main()
