"""API Gateway (HTTP API, payload 2.0) in front of the template's routes, on 127.0.0.1.

As on AWS: routes come from the functions' ``HttpApi`` events; a route behind the JWT authorizer needs an
``Authorization: Bearer`` token, verified (signature, issuer, audience, expiry) by ``LocalIssuer`` and passed on as
claims, or it is answered 401 without reaching the function; CORS follows the template's ``CorsConfiguration``
(preflights answered by the gateway itself, Access-Control headers on every answer to an allowed origin).

A local shortcut, documented as such: ``X-Tenant-Id`` and ``X-User-Email`` headers stand in for a token (curl,
scripts). They are not among the allowed CORS headers, so a browser app cannot come to depend on them.
``/_local/...`` routes serve the local stack itself (sent emails, the issuer's token endpoint and JWKS).
"""

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from customer_bulk_local.local_issuer import LocalIssuer, Unauthorized
from customer_bulk_local.loopback import LoopbackServer

TENANT_HEADER = "X-Tenant-Id"
EMAIL_HEADER = "X-User-Email"


@dataclass(frozen=True)
class Cors:
    """The HttpApi's CorsConfiguration."""

    origins: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    max_age: int | None = None

    @classmethod
    def of(cls, configuration: dict[str, Any] | None) -> "Cors | None":
        if not configuration:
            return None
        return cls(
            origins=tuple(configuration.get("AllowOrigins", [])),
            methods=tuple(method.upper() for method in configuration.get("AllowMethods", [])),
            headers=tuple(header.lower() for header in configuration.get("AllowHeaders", [])),
            expose=tuple(configuration.get("ExposeHeaders", [])),
            max_age=int(configuration["MaxAge"]) if "MaxAge" in configuration else None,
        )

    def allowed_origin(self, origin: str | None) -> str | None:
        if not origin:
            return None
        return "*" if "*" in self.origins else (origin if origin in self.origins else None)

    def preflight(self, request: Request) -> Response:
        """API Gateway answers a preflight itself: 204, with the CORS headers only when the origin, the method and
        every requested header are allowed."""
        response = Response(status=204)
        origin = self.allowed_origin(request.headers.get("Origin"))
        method = (request.headers.get("Access-Control-Request-Method") or "").upper()
        asked = [h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")]
        headers_ok = "*" in self.headers or all(h in self.headers for h in asked if h)
        if origin and ("*" in self.methods or method in self.methods) and headers_ok:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = ",".join(self.methods)
            if self.headers:
                response.headers["Access-Control-Allow-Headers"] = ",".join(self.headers)
            if self.max_age is not None:
                response.headers["Access-Control-Max-Age"] = str(self.max_age)
        return response

    def decorate(self, request: Request, response: Response) -> Response:
        origin = self.allowed_origin(request.headers.get("Origin"))
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            if self.expose:
                response.headers["Access-Control-Expose-Headers"] = ",".join(self.expose)
        return response


@dataclass
class Route:
    method: str
    path: str  # as in the template: /imports/{job_id}
    function: str  # logical id
    authorized: bool = True  # behind the API's JWT authorizer (False: the route's Auth names no authorizer)

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$")


class LocalHttpApi:
    def __init__(
        self,
        routes: list[Route],
        invoke: Callable[[str, Any], Any],
        issuer: LocalIssuer,
        local_routes: dict[tuple[str, str], Callable[[Request], Any]],
        cors: Cors | None = None,
        port: int = 0,
    ) -> None:
        # API Gateway prefers a static route to a parameterised one (/imports/template before /imports/{job_id}).
        self.routes = sorted(routes, key=lambda route: route.path.count("{"))
        self.invoke = invoke
        self.issuer = issuer
        self.cors = cors
        self.local_routes = {
            ("GET", "/_local/issuer/.well-known/jwks.json"): lambda _: issuer.jwks(),
            ("POST", "/_local/issuer/token"): self._issue_token,
            **local_routes,
        }
        self._server = LoopbackServer(self._app, port, "local-http-api")

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if self.cors is not None and request.method == "OPTIONS" and "Origin" in request.headers:
            return self.cors.preflight(request)(environ, start_response)
        response = self._respond(request)
        if self.cors is not None:
            response = self.cors.decorate(request, response)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        local = self.local_routes.get((request.method, request.path))
        if local is not None:
            return _json(200, local(request))
        for route in self.routes:
            match = route.pattern.match(request.path)
            if match and route.method == request.method:
                claims = None
                if route.authorized:
                    try:
                        claims = self._claims(request)
                    except Unauthorized:
                        return _json(401, {"message": "Unauthorized"})
                event = self._event(request, route, match.groupdict(), claims)
                return self._response(self.invoke(route.function, event))
        return _json(404, {"message": "Not Found"})

    def _claims(self, request: Request) -> dict[str, str]:
        """The JWT authorizer's claims; the local header shortcut only when no token is sent at all."""
        authorization = request.headers.get("Authorization")
        tenant, email = request.headers.get(TENANT_HEADER), request.headers.get(EMAIL_HEADER)
        if authorization is None and tenant and email:
            return {self.issuer.tenant_claim: tenant, self.issuer.email_claim: email}
        return self.issuer.verify(authorization)

    def _issue_token(self, request: Request) -> dict[str, Any]:
        asked = request.get_json(silent=True) or {}
        tenant, email = str(asked.get("tenant") or ""), str(asked.get("email") or "")
        lifetime = int(asked.get("lifetime_s") or 3600)
        return {"token": self.issuer.token(tenant, email, lifetime), "token_type": "Bearer", "expires_in": lifetime}

    def _event(
        self, request: Request, route: Route, path_parameters: dict[str, str], claims: dict[str, str] | None
    ) -> dict[str, Any]:
        body = request.get_data(as_text=True)
        now = time.time()
        route_key = f"{route.method} {route.path}"
        return {
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": request.path,
            "rawQueryString": request.query_string.decode(),
            "headers": {
                **{key.lower(): value for key, value in request.headers.items()},
                # What API Gateway adds: how the client reached it (download links are built from these).
                "x-forwarded-for": request.remote_addr or "127.0.0.1",
                "x-forwarded-port": str(request.server[1]) if request.server else "80",
                "x-forwarded-proto": request.scheme,
            },
            "queryStringParameters": _query_parameters(request.query_string.decode()),
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
                **({"authorizer": {"jwt": {"claims": claims, "scopes": None}}} if claims is not None else {}),
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


def _query_parameters(query: str) -> dict[str, str] | None:
    """As API Gateway's payload 2.0 gives them: a parameter sent more than once has its values joined by commas."""
    joined: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined or None


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")
