"""API Gateway (HTTP API, payload 2.0) in front of the template's routes, on 127.0.0.1.

On AWS a JWT authorizer verifies the token and passes its claims; locally the caller names its tenant and email in
the ``X-Tenant-Id`` and ``X-User-Email`` headers and they become those claims. Routes come from the functions'
``HttpApi`` events in the template. ``/_local/...`` routes serve the local stack itself (sent emails).
"""

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

TENANT_HEADER = "X-Tenant-Id"
EMAIL_HEADER = "X-User-Email"


@dataclass
class Route:
    method: str
    path: str  # as in the template: /imports/{job_id}
    function: str  # logical id

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$")


class LocalHttpApi:
    def __init__(
        self,
        routes: list[Route],
        invoke: Callable[[str, Any], Any],
        claims: tuple[str, str],
        local_routes: dict[str, Callable[[Request], Any]],
        port: int = 0,
    ) -> None:
        # API Gateway prefers a static route to a parameterised one (/imports/template before /imports/{job_id}).
        self.routes = sorted(routes, key=lambda route: route.path.count("{"))
        self.invoke = invoke
        self.tenant_claim, self.email_claim = claims
        self.local_routes = local_routes
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-http-api", daemon=True
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

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.path in self.local_routes and request.method == "GET":
            return _json(200, self.local_routes[request.path](request))
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match and route.method == request.method:
                tenant, email = request.headers.get(TENANT_HEADER), request.headers.get(EMAIL_HEADER)
                if not tenant or not email:
                    return _json(401, {"message": f"Unauthorized: send {TENANT_HEADER} and {EMAIL_HEADER}"})
                event = self._event(
                    request, route, match.groupdict(), {self.tenant_claim: tenant, self.email_claim: email}
                )
                return self._response(self.invoke(route.function, event))
        return _json(404, {"message": "Not Found"})

    def _event(
        self, request: Request, route: Route, path_parameters: dict[str, str], claims: dict[str, str]
    ) -> dict[str, Any]:
        body = request.get_data(as_text=True)
        now = time.time()
        route_key = f"{route.method} {route.path}"
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": request.path,
            "rawQueryString": request.query_string.decode(),
            "headers": {key.lower(): value for key, value in request.headers.items()},
            "queryStringParameters": dict(parse_qsl(request.query_string.decode())) or None,
            "pathParameters": path_parameters or None,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": request.host,
                "domainPrefix": "local",
                "http": {
                    "method": request.method,
                    "path": request.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent", ""),
                },
                "requestId": str(uuid.uuid4()),
                "routeKey": route_key,
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
                "authorizer": {"jwt": {"claims": claims, "scopes": None}},
            },
            "body": body or None,
            "isBase64Encoded": False,
        }

    @staticmethod
    def _response(result: dict[str, Any]) -> Response:
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        return Response(data, status=int(result.get("statusCode", 200)), headers=headers)


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")
