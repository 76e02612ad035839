"""The browser console on an origin of its own (``customer-bulk serve``), as CloudFront serves it on AWS.

A second HTTP server on 127.0.0.1 (its own port, so the console's calls to the API and to S3 really cross origins
and CORS is exercised as in production) serves the static files of ``console/``: ``/`` is ``index.html``, a file's
content type comes from its extension, a directory is never listed and no path leaves the folder (404). One file is
generated, not read: ``/config.json``, what the console reads next to its index on AWS too::

    {"api": "<API base URL>", "issuer": "<token endpoint, or null>", "languages": ["vi", "en", "it", "da"]}

Locally ``issuer`` is the local stack's token endpoint (``POST {"tenant", "email"}`` answers ``{"token"}``), on the
API's origin: it answers CORS as the API does (the template's ``CorsConfiguration``), so the console fetches its
token there itself and no proxy is needed.
"""

import json
import mimetypes
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from customer_bulk_local.loopback import LoopbackServer

CONFIG = "/config.json"
# Explicit, whatever the machine's mime database says (a module script served as text/plain is refused).
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


def console_config(api_url: str, issuer: str | None, languages: list[str]) -> dict[str, Any]:
    return {"api": api_url.rstrip("/"), "issuer": issuer, "languages": languages}


class ConsoleHost:
    """Serves ``root`` (the console's folder; a missing one or file: 404) and the generated ``/config.json``."""

    def __init__(self, root: Path, config: dict[str, Any], port: int = 0) -> None:
        self.root = root.resolve()
        self.config = config
        self._server = LoopbackServer(self._app, port, "console-host")

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> "ConsoleHost":
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return _plain(405, "Method Not Allowed", {"Allow": "GET, HEAD"})
        if request.path == CONFIG:
            return _no_store(Response(json.dumps(self.config), content_type="application/json"))
        path = self.file_of(request.path)
        if path is None:
            return _plain(404, "Not Found")
        content_type = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        return _no_store(Response(path.read_bytes(), content_type=content_type or "application/octet-stream"))

    def file_of(self, url_path: str) -> Path | None:
        """The file a URL path names inside the console's folder, or None (a directory, a missing file, a path
        that would leave the folder, a hidden file)."""
        relative = url_path.lstrip("/") or "index.html"
        parts = relative.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") or "\\" in part or "\x00" in part for part in parts):
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate


def _no_store(response: Response) -> Response:
    """Locally the files change while the console is worked on: never cached."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return _no_store(Response(text, status=status, content_type="text/plain; charset=utf-8", headers=headers))
