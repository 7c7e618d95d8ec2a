"""The API: its route table, parameter validation, auth and scope, errors, on Powertools' resolver.

`Api.resolver()` registers the route table on a Powertools `APIGatewayHttpResolver`, which routes
HTTP API (payload v2) events and maps every exception to the JSON error body. The same resolver
serves both places: `handler.py` hands it the Lambda's events, and `asgi.py` turns a local HTTP
request into the same kind of event (uvicorn, the tests, the benchmark). Parameters are checked by
the project's own specs (`params.py`), which also write the OpenAPI document, not by Powertools'
pydantic validation: ADR 0007 says why (the cold start).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Response

from api_lambda import deadline, openapi, queries
from api_lambda.auth import Authenticator
from api_lambda.backends import Backend
from api_lambda.cursor import CURSOR_PATTERN, CursorCodec
from api_lambda.errors import (
    ApiError,
    BackendUnavailable,
    logger,
    method_not_allowed,
    not_found,
)
from api_lambda.metrics import UNMATCHED, RouteMetrics
from api_lambda.params import Param, parse_all
from api_lambda.periods import (
    DATE_PATTERN,
    GRAINS,
    MAX_SPAN_DAYS,
    DateRange,
    check_order,
    parse_optional_date,
    resolve_range,
)
from api_lambda.scope import ID_PATTERN, LEVELS, Scope, breakdown_level, resolve_scope
from api_lambda.settings import Settings
from api_lambda.web import Request, json_response, json_text, request_from_event

DESCRIPTION = f"""Tenant-scoped request analytics over the marts.

Every route but `/v1/health` and `/v1/openapi.json` needs `Authorization: Bearer <token>`.
The token's principal is `{{level, client_id?, reseller_id?, user_id?}}`; omitted scope
parameters default to it, a scope outside it gets 403 and a session outside it gets 404.
Reseller ids are unique only within their client and user ids only within their reseller,
so a scope always names the whole path.

Dates are UTC `YYYY-MM-DD`, `to` inclusive; a range is widened to whole periods of its grain
(weeks start on Monday). Longest span per grain, in days: {MAX_SPAN_DAYS}.
Errors are `{{"error": {{"code", "message", "field"?}}}}`; 503 carries `Retry-After`."""

OPENAPI_PATH = "/v1/openapi.json"
DEMO_TOKENS_PATH = "/v1/demo/tokens"

# --- parameters ---------------------------------------------------------------------------------


def _id(name: str, description: str) -> Param:
    return Param(name, description, pattern=ID_PATTERN, max_length=128)


SCOPE_PARAMS = (
    _id("client_id", "Client id; default the token's."),
    _id("reseller_id", "Reseller id, unique within client_id; default the token's."),
    _id("user_id", "User id, unique within reseller_id."),
)
RANGE_PARAMS = (
    Param("from", "First day, YYYY-MM-DD.", required=True, pattern=DATE_PATTERN, example="2026-11-11"),
    Param(
        "to", "Last day, YYYY-MM-DD, inclusive.", required=True, pattern=DATE_PATTERN, example="2026-11-20"
    ),
    Param(
        "grain",
        "hour, day, week (ISO, Monday) or month; the range widens to whole periods.",
        choices=GRAINS,
        default="day",
    ),
)
BY_PARAM = Param("by", "Level to group by; default one below the scope; never above it.", choices=LEVELS[1:])
PRODUCTS_LIMIT = Param("limit", "Number of products.", kind="integer", minimum=1, maximum=1000, default=20)
SESSIONS_PARAMS = (
    Param("from", "Sessions ending on or after this day.", pattern=DATE_PATTERN),
    Param("to", "Sessions starting by this day.", pattern=DATE_PATTERN),
    Param("limit", "Page size.", kind="integer", minimum=1, maximum=1000, default=50),
    Param("cursor", "A `next_cursor`.", pattern=CURSOR_PATTERN, max_length=450),
)
SESSION_ID = Param("session_id", "A session id.", where="path", pattern=ID_PATTERN, max_length=128)
STARTED_ON_HINT = Param(
    "started_on",
    "The session's first day (UTC, the date of its `started_at` in the sessions list): optional; "
    "it narrows the files read. A wrong day costs a second query, never another answer.",
    pattern=DATE_PATTERN,
    example="2026-11-20",
)

# --- the routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What a route handler gets: the API, the principal (None on open routes), parsed values."""

    api: Api
    principal: Scope | None
    values: dict[str, Any]

    def scope(self) -> Scope:
        assert self.principal is not None
        v = self.values
        return resolve_scope(self.principal, v["client_id"], v["reseller_id"], v["user_id"])

    def date_range(self) -> DateRange:
        v = self.values
        return resolve_range(v["from"], v["to"], v["grain"])


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    response: str
    handler: Handler
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = (400, 401, 403, 503)
    auth: bool = True
    documented: bool = True
    segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.strip("/").split("/")))

    @property
    def rule(self) -> str:
        """The path as Powertools writes a route: `<name>` for a path parameter."""
        return self.path.replace("{", "<").replace("}", ">")

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters when `parts` (the path's segments) fit this route's template."""
        if len(parts) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for template, part in zip(self.segments, parts, strict=True):
            if template.startswith("{"):
                if not part:
                    return None
                found[template[1:-1]] = part
            elif template != part:
                return None
        return found


def _health(call: Call) -> dict[str, Any]:
    return {"status": "ok", "backend": call.api.backend.name}


def _series(call: Call) -> dict[str, Any]:
    scope = call.scope()
    return queries.session_series(call.api.backend, scope, call.date_range())


def _breakdown(call: Call) -> dict[str, Any]:
    scope = call.scope()
    date_range = call.date_range()
    level = breakdown_level(scope, call.values["by"])
    return queries.session_breakdown(call.api.backend, scope, date_range, level)


def _products(call: Call) -> dict[str, Any]:
    scope = call.scope()
    return queries.products(call.api.backend, scope, call.date_range(), call.values["limit"])


def _sessions(call: Call) -> dict[str, Any]:
    scope = call.scope()
    v = call.values
    start, end = parse_optional_date(v["from"], "from"), parse_optional_date(v["to"], "to")
    check_order(start, end)
    codec = call.api.cursors
    # The cursor is signed over the tenant and the filters: replayed elsewhere it fails like a forgery.
    binding = json.dumps([scope.binding(), v["from"], v["to"]])
    after = codec.decode(v["cursor"], binding) if v["cursor"] else None
    rows, next_position = queries.sessions_page(call.api.backend, scope, start, end, v["limit"], after)
    next_cursor = codec.encode(*next_position, binding) if next_position else None
    return {"sessions": rows, "next_cursor": next_cursor}


def _session_requests(call: Call) -> dict[str, Any]:
    assert call.principal is not None
    started_on = parse_optional_date(call.values["started_on"], "started_on")
    body = queries.session_requests(call.api.backend, call.principal, call.values["session_id"], started_on)
    if body is None:
        raise not_found("no such session", field="session_id")
    return body


def _openapi(call: Call) -> dict[str, Any]:
    return call.api.openapi()


def _demo_tokens(call: Call) -> dict[str, Any]:
    path = call.api.demo_tokens
    data = json.loads(path.read_text()) if path is not None and path.exists() else {}
    return {"tokens": [{"token": token, "principal": who} for token, who in data.items()]}


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/v1/health",
        "health",
        "Liveness; needs no token",
        "meta",
        "Health",
        _health,
        errors=(),
        auth=False,
    ),
    Route(
        "GET",
        "/v1/metrics/sessions",
        "metrics_sessions",
        "Dense series of sessions and requests per period",
        "metrics",
        "SessionMetrics",
        _series,
        (*SCOPE_PARAMS, *RANGE_PARAMS),
    ),
    Route(
        "GET",
        "/v1/metrics/sessions/breakdown",
        "metrics_breakdown",
        "Sessions and requests over the whole range, split by client, reseller or user",
        "metrics",
        "Breakdown",
        _breakdown,
        (*SCOPE_PARAMS, *RANGE_PARAMS, BY_PARAM),
    ),
    Route(
        "GET",
        "/v1/metrics/products",
        "metrics_products",
        "Products by requests, with sessions, quantity and revenue per currency",
        "metrics",
        "Products",
        _products,
        (*SCOPE_PARAMS, *RANGE_PARAMS, PRODUCTS_LIMIT),
    ),
    Route(
        "GET",
        "/v1/sessions",
        "list_sessions",
        "Sessions overlapping the range, newest first, paged by an opaque cursor",
        "sessions",
        "SessionsPage",
        _sessions,
        (*SCOPE_PARAMS, *SESSIONS_PARAMS),
    ),
    Route(
        "GET",
        "/v1/sessions/{session_id}/requests",
        "session_requests",
        "The requests of one session, in time order, with their products",
        "sessions",
        "SessionRequests",
        _session_requests,
        (SESSION_ID, STARTED_ON_HINT),
        errors=(400, 401, 403, 404, 503),
    ),
    Route(
        "GET", OPENAPI_PATH, "openapi", "This document", "meta", "", _openapi, auth=False, documented=False
    ),
)
DEMO_TOKENS_ROUTE = Route(
    "GET", DEMO_TOKENS_PATH, "demo_tokens", "", "meta", "", _demo_tokens, auth=False, documented=False
)

# --- the API ------------------------------------------------------------------------------------

# Every GET route answers HEAD too (the adapters drop the body).
METHODS = ("GET", "HEAD")


class Api:
    """The route table with what its handlers need: settings, backend, auth, cursors, metrics."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        authenticate: Authenticator,
        *,
        demo_tokens: Path | None = None,
        metrics: RouteMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.authenticate = authenticate
        self.cursors = CursorCodec(settings.cursor_secret)
        self.demo_tokens = Path(demo_tokens) if demo_tokens is not None else None
        self.metrics = metrics
        self.routes = ROUTES + ((DEMO_TOKENS_ROUTE,) if demo_tokens is not None else ())
        self._openapi: dict[str, Any] | None = None

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, built on first use (the Lambda's init never pays for it)."""
        if self._openapi is None:
            self._openapi = openapi.document(self.routes, DESCRIPTION)
        return self._openapi

    def resolver(self) -> HttpApiResolver:
        """A Powertools resolver with every route, the error mapping and the per-request middleware."""
        resolver = HttpApiResolver()
        resolver.use([self._within_budget_and_measured])
        for route in self.routes:
            resolver.route(route.rule, list(METHODS), cors=False)(self._endpoint(resolver, route))
        resolver.exception_handler(ApiError)(_api_error)
        resolver.exception_handler(BackendUnavailable)(_backend_unavailable)
        resolver.exception_handler(Exception)(_internal_error)
        resolver.not_found(lambda _: self._no_route(request_from_event(resolver.current_event.raw_event)))
        resolver.build_middleware_stacks()
        return resolver

    def _endpoint(self, resolver: HttpApiResolver, route: Route) -> Callable[..., Response]:
        def endpoint(**path_values: str) -> Response:
            return self.answer(route, request_from_event(resolver.current_event.raw_event), path_values)

        endpoint.__name__ = route.operation_id
        return endpoint

    def answer(self, route: Route, request: Request, path_values: Mapping[str, str]) -> Response:
        """The route's answer to `request`; a failure raises, and the resolver maps it to its error body."""
        if route.auth and "," in request.headers.get("authorization", ""):
            # API Gateway (and the local adapter) join a repeated header's values with commas.
            raise ApiError(400, "invalid_header", "send exactly one Authorization header", "Authorization")
        principal = self.authenticate(request) if route.auth else None
        values = parse_all(route.params, request.query, path_values)
        return json_response(route.handler(Call(self, principal, values)))

    def _within_budget_and_measured(
        self, app: APIGatewayHttpResolver, next_middleware: Callable[..., Any]
    ) -> Any:
        """Powertools middleware around every request: one time budget, and its latency per route."""
        started = time.perf_counter()
        try:
            with deadline.budget(self.settings.request_budget_seconds), self.backend.pinned():
                return next_middleware(app)
        finally:
            if self.metrics is not None:
                # Powertools' not-found handling runs as a route of its own, under the raw path.
                matched = app.context.get("_route")
                template = getattr(matched, "openapi_path", None)
                known = getattr(matched, "method", "") in METHODS and any(
                    r.path == template for r in self.routes
                )
                take = getattr(self.backend, "take_s3_reads", None)
                reads = (
                    take() if take is not None and getattr(self.backend, "counts_s3_reads", False) else None
                )
                self.metrics.record(
                    template if known else UNMATCHED, (time.perf_counter() - started) * 1000, reads
                )

    def _no_route(self, request: Request) -> Response:
        """404 for a path no route has; 405 with `Allow` for a route that has other methods."""
        parts = request.path.strip("/").split("/") if request.path.startswith("/") else [""]
        allowed: set[str] = set()
        for route in self.routes:
            found = route.match(parts)
            if found is None:
                continue
            if request.method not in METHODS:
                allowed.update(METHODS)
                continue
            # The route's own method, yet Powertools' router did not take the path: either a path
            # parameter holds a character its router refuses (every such value is also outside the
            # parameter's own pattern, whose 400 names it), or the path differs by a slash.
            parse_all(tuple(p for p in route.params if p.where == "path"), {}, found)
        if allowed:
            raise method_not_allowed(", ".join(sorted(allowed)))
        raise not_found("no such route; the API is under /v1 (document: /v1/openapi.json)")


def _api_error(exc: ApiError) -> Response:
    return exc.response()


def _backend_unavailable(exc: BackendUnavailable) -> Response:
    logger.warning("backend unavailable", extra={"reason": exc.message})
    return exc.as_api_error().response()


def _internal_error(exc: Exception) -> Response:
    # Called while the exception is being handled, so the log line carries its traceback.
    logger.exception("unhandled error", extra={"error": type(exc).__name__})
    return ApiError(500, "internal_error", "internal error; the request was logged").response()


class HttpApiResolver(APIGatewayHttpResolver):
    """Powertools' HTTP API resolver, keeping each request's state on the thread that resolves it.

    Powertools keeps the current event, the Lambda context and the routing context on the resolver
    (the event even on its base class): right in a Lambda, which handles one event at a time, but
    the local server resolves several requests at once, each on a worker thread. Here every thread
    has its own, so the same resolver serves both. No CORS (API Gateway's configuration answers
    it), no debug output (it would print events, tokens included), JSON as the project writes it.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        super().__init__(cors=None, debug=False, serializer=json_text)

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] | None = getattr(self._local, "state", None)
        if state is None:
            state = self._local.state = {"event": None, "lambda_context": None, "context": {}, "frames": []}
        return state

    @property  # type: ignore[override]
    def current_event(self) -> Any:
        return self._state()["event"]

    @current_event.setter
    def current_event(self, value: Any) -> None:
        self._state()["event"] = value

    @property  # type: ignore[override]
    def lambda_context(self) -> Any:
        return self._state()["lambda_context"]

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._state()["lambda_context"] = value

    @property  # type: ignore[override]
    def context(self) -> dict[str, Any]:
        return self._state()["context"]

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._state()["context"] = value

    @property  # type: ignore[override]
    def processed_stack_frames(self) -> list[str]:
        return self._state()["frames"]

    @processed_stack_frames.setter
    def processed_stack_frames(self, value: list[str]) -> None:
        self._state()["frames"] = value

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        # Powertools' resolve() puts the event on its base class, which this class's property hides.
        self.current_event = self._to_proxy_event(dict(event))
        self.lambda_context = context
        return super().resolve(event, context)

    def build_middleware_stacks(self) -> None:
        """Build each route's middleware chain now, not on its first request, where two threads
        could both build it (and nest it twice)."""
        for route in self._static_routes + self._dynamic_routes:
            route._build_middleware_stack(router_middlewares=self._router_middlewares, app=self)
