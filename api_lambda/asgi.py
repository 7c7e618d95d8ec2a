"""Local serving: an HTTP request becomes the HTTP API (payload v2) event API Gateway would send,
answered by the same Powertools resolver the Lambda uses (`python -m api_lambda`, the tests, the
benchmark).

The Lambda never imports this module. Each event is resolved on a worker thread, so a slow
DuckDB query does not hold up the event loop and concurrent requests are answered in parallel
(the resolver keeps each request's state per thread; the DuckDB backend gives every query its
own cursor). Paths outside `/v1` go to the built viewer when one is served. Powertools'
`HttpResolverLocal` is not used: it runs a plain route function on the event loop itself and
builds REST API (v1) events, not the v2 events this API receives in AWS (ADR 0007).
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from api_lambda.app import Api, HttpApiResolver
from api_lambda.auth import Authenticator
from api_lambda.backends import Backend
from api_lambda.errors import ApiError
from api_lambda.metrics import RouteMetrics
from api_lambda.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def to_event(scope: Scope) -> dict[str, Any]:
    """An ASGI HTTP scope as the HTTP API v2 event API Gateway would send for it.

    As API Gateway does: `rawPath` is decoded (the ASGI path is), `rawQueryString` is not; a
    repeated header is one comma-separated value (RFC 9110 5.3), so a doubled Authorization
    header is seen, and refused; a repeated query name's values are joined with commas in
    `queryStringParameters` (the API reads `rawQueryString`).
    """
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    raw_query = scope.get("query_string", b"").decode("latin-1")
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    method, path = scope["method"], scope["path"]
    client = scope.get("client") or ("127.0.0.1", 0)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
                "sourceIp": client[0],
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    return event


class LocalContext:
    """What a Lambda context carries, for a request served locally."""

    function_name = "analytics-api-local"
    memory_limit_in_mb = 0
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:analytics-api-local"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id


class AsgiAdapter:
    def __init__(self, resolver: HttpApiResolver, viewer: AsgiApp | None = None) -> None:
        self.resolver = resolver
        self.viewer = viewer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if self.viewer is not None and not (path == "/v1" or path.startswith("/v1/")):
            await self._serve_viewer(self.viewer, scope, receive, send)
            return
        event = to_event(scope)
        context = LocalContext(event["requestContext"]["requestId"])
        answer = await asyncio.get_running_loop().run_in_executor(None, self.resolver.resolve, event, context)
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
        await _send(answer["statusCode"], answer.get("headers") or {}, data, scope["method"] == "HEAD", send)

    @staticmethod
    async def _serve_viewer(viewer: AsgiApp, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.exceptions import HTTPException

        try:
            await viewer(scope, receive, send)
        except HTTPException as exc:  # StaticFiles signals a missing file or a wrong method this way
            code = "method_not_allowed" if exc.status_code == 405 else "not_found"
            error = ApiError(exc.status_code, code, exc.detail, headers=dict(exc.headers or {})).response()
            headers = {name: str(value) for name, value in error.headers.items()}
            await _send(error.status_code, headers, str(error.body).encode(), scope["method"] == "HEAD", send)


async def _send(status: int, headers: dict[str, str], body: bytes, head: bool, send: Send) -> None:
    # Content-Length is the body's even for HEAD, which sends none: what a GET would have sent.
    fields = [(b"content-length", str(len(body)).encode())]
    fields += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    settings: Settings,
    backend: Backend,
    authenticate: Authenticator,
    *,
    demo_tokens: Path | None = None,
    viewer_dir: Path | None = None,
    metrics: RouteMetrics | None = None,
) -> AsgiAdapter:
    """The ASGI app. `demo_tokens` and `viewer_dir` are for the local server only; `metrics`
    prints the per-route EMF records the Lambda prints."""
    api = Api(settings, backend, authenticate, demo_tokens=demo_tokens, metrics=metrics)
    viewer = None
    if viewer_dir is not None and Path(viewer_dir).is_dir():
        from starlette.staticfiles import StaticFiles  # local server only: the Lambda never serves files

        viewer = StaticFiles(directory=viewer_dir, html=True)
    return AsgiAdapter(api.resolver(), viewer)
