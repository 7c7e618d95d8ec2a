"""The API without a web framework: the route table, parameter validation, auth and scope, errors.

`Api.handle(Request) -> Response` is the whole API. Two thin adapters feed it: `handler.py` turns
API Gateway HTTP API (payload v2) events into Requests in the Lambda, and `asgi.py` serves it
through uvicorn locally and in the tests. Nothing here imports a framework, so the Lambda's cold
start pays only for this package, the standard library and Powertools' Logger.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from api_lambda.web import Request, Response, json_response

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
    "on Athena it narrows the partitions read. A wrong day costs a second query, never another answer.",
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


class Api:
    """Routes a Request to its handler; every failure becomes the JSON error body, never a trace."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        authenticate: Authenticator,
        *,
        demo_tokens: Path | None = None,
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.authenticate = authenticate
        self.cursors = CursorCodec(settings.cursor_secret)
        self.demo_tokens = Path(demo_tokens) if demo_tokens is not None else None
        self.routes = ROUTES + ((DEMO_TOKENS_ROUTE,) if demo_tokens is not None else ())
        self._openapi: dict[str, Any] | None = None

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, built on first use (the Lambda's init never pays for it)."""
        if self._openapi is None:
            self._openapi = openapi.document(self.routes, DESCRIPTION)
        return self._openapi

    def handle(self, request: Request) -> Response:
        """The response to `request`; all of its work runs within the request's time budget."""
        try:
            with deadline.budget(self.settings.request_budget_seconds):
                response = self._dispatch(request)
        except ApiError as exc:
            response = exc.response()
        except BackendUnavailable as exc:
            logger.warning("backend unavailable", extra={"reason": exc.message})
            response = exc.as_api_error().response()
        except Exception:
            logger.exception("unhandled error", extra={"path": request.path[:300]})
            response = ApiError(500, "internal_error", "internal error; the request was logged").response()
        return response

    def _dispatch(self, request: Request) -> Response:
        # CORS is API Gateway's (its cors_configuration answers preflights); locally the viewer is
        # served from the API's own origin.
        route, path_values = self._route(request)
        if route.auth and "," in request.headers.get("authorization", ""):
            raise ApiError(400, "invalid_header", "send exactly one Authorization header", "Authorization")
        principal = self.authenticate(request) if route.auth else None
        values = parse_all(route.params, request.query, path_values)
        return json_response(route.handler(Call(self, principal, values)))

    def _route(self, request: Request) -> tuple[Route, dict[str, str]]:
        parts = request.path.strip("/").split("/") if request.path.startswith("/") else [""]
        method = "GET" if request.method == "HEAD" else request.method
        allowed: set[str] = set()
        for route in self.routes:
            found = route.match(parts)
            if found is None:
                continue
            if route.method == method:
                return route, found
            allowed.add(route.method)
        if allowed:
            # Every GET route answers HEAD too (the adapters drop the body).
            raise method_not_allowed(", ".join(sorted(allowed | ({"HEAD"} if "GET" in allowed else set()))))
        raise not_found("no such route; the API is under /v1 (document: /v1/openapi.json)")
