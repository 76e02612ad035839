"""A WSGI app served on 127.0.0.1 from a daemon thread: the local HTTP API and the console's host each run one."""

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class LoopbackServer:
    """``app`` on 127.0.0.1 (port 0: any free one), threaded, until ``stop``."""

    def __init__(self, app: Callable[..., Any], port: int = 0, name: str = "loopback") -> None:
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
