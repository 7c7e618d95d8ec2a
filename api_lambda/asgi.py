"""ASGI adapter: the framework-free `Api` served by uvicorn (`python -m api_lambda`) and in the tests.

The Lambda never imports this module. Each request runs `Api.handle` in a worker thread, so a
slow DuckDB query does not hold up the event loop and concurrent requests are answered in
parallel (the DuckDB backend gives every query its own cursor). Paths outside `/v1` go to the
built viewer when one is served.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from api_lambda.app import Api
from api_lambda.auth import Authenticator
from api_lambda.backends import Backend
from api_lambda.errors import ApiError
from api_lambda.settings import Settings
from api_lambda.web import Request, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def to_request(scope: Scope) -> Request:
    """An ASGI HTTP scope as a Request (query decoded as Starlette does: latin-1, then %-escapes)."""
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    # A repeated header is combined into one comma-separated value (RFC 9110 5.3), as API Gateway
    # does: a doubled Authorization header is then seen, and refused, instead of the last winning.
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Request(method=scope["method"], path=scope["path"], query=query, headers=headers)


class AsgiAdapter:
    def __init__(self, api: Api, viewer: AsgiApp | None = None) -> None:
        self.api = api
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
        request = to_request(scope)
        response = await asyncio.get_running_loop().run_in_executor(None, self.api.handle, request)
        await _send(response, request.method == "HEAD", send)

    @staticmethod
    async def _serve_viewer(viewer: AsgiApp, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.exceptions import HTTPException

        try:
            await viewer(scope, receive, send)
        except HTTPException as exc:  # StaticFiles signals a missing file or a wrong method this way
            code = "method_not_allowed" if exc.status_code == 405 else "not_found"
            error = ApiError(exc.status_code, code, exc.detail, headers=dict(exc.headers or {}))
            await _send(error.response(), scope["method"] == "HEAD", send)


async def _send(response: Response, head: bool, send: Send) -> None:
    headers = [(b"content-length", str(len(response.body)).encode())]
    headers += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else response.body})


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
) -> AsgiAdapter:
    """The ASGI app. `demo_tokens` and `viewer_dir` are for the local server only."""
    api = Api(settings, backend, authenticate, demo_tokens=demo_tokens)
    viewer = None
    if viewer_dir is not None and Path(viewer_dir).is_dir():
        from starlette.staticfiles import StaticFiles  # local server only: the Lambda never serves files

        viewer = StaticFiles(directory=viewer_dir, html=True)
    return AsgiAdapter(api, viewer)
