"""The FastAPI application: routes, validation, auth and scope, over a backend and the query layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api_lambda import queries
from api_lambda.auth import Authenticator
from api_lambda.backends import Backend
from api_lambda.cursor import CURSOR_PATTERN, CursorCodec
from api_lambda.errors import ApiError, CatchAllMiddleware, ErrorResponse, install_error_handlers
from api_lambda.models import Breakdown, Health, Products, SessionMetrics, SessionRequests, SessionsPage
from api_lambda.periods import (
    DATE_PATTERN,
    MAX_SPAN_DAYS,
    DateRange,
    Grain,
    check_order,
    parse_optional_date,
    resolve_range,
)
from api_lambda.scope import ID_PATTERN, Scope, breakdown_level, resolve_scope
from api_lambda.settings import Settings

API_VERSION = "1.0.0"
DESCRIPTION = f"""Tenant-scoped request analytics over the marts.

Every route but `/v1/health` and `/v1/openapi.json` needs `Authorization: Bearer <token>`.
The token's principal is `{{level, client_id?, reseller_id?, user_id?}}`; omitted scope
parameters default to it, a scope outside it gets 403 and a session outside it gets 404.
Reseller ids are unique only within their client and user ids only within their reseller,
so a scope always names the whole path.

Dates are UTC `YYYY-MM-DD`, `to` inclusive; a range is widened to whole periods of its grain
(weeks start on Monday). Longest span per grain, in days: {MAX_SPAN_DAYS}.
Errors are `{{"error": {{"code", "message", "field"?}}}}`; 503 carries `Retry-After`."""

_bearer = HTTPBearer(auto_error=False, description="A token from the tokens file (local) or a JWT (AWS).")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Invalid parameter: the body names the problem and the field."),
    401: _error("Missing or unknown token."),
    403: _error("The requested scope is outside the token's scope."),
    503: _error("The warehouse cannot answer now; retry after `Retry-After` seconds."),
}
_SESSION_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    404: _error("No such session in the token's scope (its existence is not revealed)."),
}

FromParam = Annotated[
    str,
    Query(alias="from", pattern=DATE_PATTERN, description="First day, YYYY-MM-DD.", examples=["2026-11-11"]),
]
ToParam = Annotated[
    str, Query(pattern=DATE_PATTERN, description="Last day, YYYY-MM-DD, inclusive.", examples=["2026-11-20"])
]


def principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Scope:
    authenticate: Authenticator = request.app.state.authenticate
    return authenticate(request, credentials.credentials if credentials else None)


def requested_scope(
    who: Annotated[Scope, Depends(principal)],
    client_id: Annotated[
        str | None, Query(pattern=ID_PATTERN, max_length=128, description="Client id; default the token's.")
    ] = None,
    reseller_id: Annotated[
        str | None,
        Query(
            pattern=ID_PATTERN,
            max_length=128,
            description="Reseller id, unique within client_id; default the token's.",
        ),
    ] = None,
    user_id: Annotated[
        str | None,
        Query(pattern=ID_PATTERN, max_length=128, description="User id, unique within reseller_id."),
    ] = None,
) -> Scope:
    return resolve_scope(who, client_id, reseller_id, user_id)


ScopeDep = Annotated[Scope, Depends(requested_scope)]


def widened_range(
    from_: FromParam,
    to: ToParam,
    grain: Annotated[
        Grain, Query(description="hour, day, week (ISO, Monday) or month; the range widens to whole periods.")
    ] = "day",
) -> DateRange:
    return resolve_range(from_, to, grain)


RangeDep = Annotated[DateRange, Depends(widened_range)]


def _backend(request: Request) -> Backend:
    return request.app.state.backend


def _json(content: dict[str, Any]) -> JSONResponse:
    return JSONResponse(content)


def create_app(
    settings: Settings,
    backend: Backend,
    authenticate: Authenticator,
    *,
    demo_tokens: Path | None = None,
    viewer_dir: Path | None = None,
) -> FastAPI:
    """Build the app. `demo_tokens` and `viewer_dir` are for the local server only."""
    app = FastAPI(
        title="Request analytics API",
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url="/v1/openapi.json",
        docs_url=None,  # Swagger UI would load its assets from a CDN; the document is the contract
        redoc_url=None,
    )
    app.state.backend = backend
    app.state.authenticate = authenticate
    app.state.cursors = CursorCodec(settings.cursor_secret)
    install_error_handlers(app)
    if settings.cors_allow_origin:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[settings.cors_allow_origin],
            allow_methods=["GET"],
            allow_headers=["Authorization"],
        )
    app.add_middleware(CatchAllMiddleware)

    @app.get("/v1/health", response_model=Health, tags=["meta"], summary="Liveness; needs no token")
    def health() -> JSONResponse:
        return _json({"status": "ok", "backend": backend.name})

    @app.get(
        "/v1/metrics/sessions",
        response_model=SessionMetrics,
        responses=_ERRORS,
        tags=["metrics"],
        summary="Dense series of sessions and requests per period",
    )
    def metrics_sessions(request: Request, scope: ScopeDep, date_range: RangeDep) -> JSONResponse:
        return _json(queries.session_series(_backend(request), scope, date_range))

    @app.get(
        "/v1/metrics/sessions/breakdown",
        response_model=Breakdown,
        responses=_ERRORS,
        tags=["metrics"],
        summary="Sessions and requests over the whole range, split by client, reseller or user",
    )
    def metrics_breakdown(
        request: Request,
        scope: ScopeDep,
        date_range: RangeDep,
        by: Annotated[
            Literal["client", "reseller", "user"] | None,
            Query(description="Level to group by; default one below the scope; never above it."),
        ] = None,
    ) -> JSONResponse:
        level = breakdown_level(scope, by)
        return _json(queries.session_breakdown(_backend(request), scope, date_range, level))

    @app.get(
        "/v1/metrics/products",
        response_model=Products,
        responses=_ERRORS,
        tags=["metrics"],
        summary="Products by requests, with sessions, quantity and revenue per currency",
    )
    def metrics_products(
        request: Request,
        scope: ScopeDep,
        date_range: RangeDep,
        limit: Annotated[int, Query(ge=1, le=1000, description="Number of products.")] = 20,
    ) -> JSONResponse:
        return _json(queries.products(_backend(request), scope, date_range, limit))

    @app.get(
        "/v1/sessions",
        response_model=SessionsPage,
        responses=_ERRORS,
        tags=["sessions"],
        summary="Sessions overlapping the range, newest first, paged by an opaque cursor",
    )
    def list_sessions(
        request: Request,
        scope: ScopeDep,
        from_: Annotated[
            str | None, Query(alias="from", pattern=DATE_PATTERN, description="Sessions ending on or after.")
        ] = None,
        to: Annotated[str | None, Query(pattern=DATE_PATTERN, description="Sessions starting by.")] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="Page size.")] = 50,
        cursor: Annotated[
            str | None,
            Query(pattern=CURSOR_PATTERN, max_length=450, description="A `next_cursor`."),
        ] = None,
    ) -> JSONResponse:
        start, end = parse_optional_date(from_, "from"), parse_optional_date(to, "to")
        check_order(start, end)
        codec: CursorCodec = request.app.state.cursors
        binding = json.dumps([scope.binding(), from_, to])
        after = codec.decode(cursor, binding) if cursor else None
        rows, next_position = queries.sessions_page(_backend(request), scope, start, end, limit, after)
        next_cursor = codec.encode(*next_position, binding) if next_position else None
        return _json({"sessions": rows, "next_cursor": next_cursor})

    @app.get(
        "/v1/sessions/{session_id}/requests",
        response_model=SessionRequests,
        responses=_SESSION_ERRORS,
        tags=["sessions"],
        summary="The requests of one session, in time order, with their products",
    )
    def session_requests(
        request: Request,
        who: Annotated[Scope, Depends(principal)],
        session_id: Annotated[str, PathParam(pattern=ID_PATTERN, max_length=128)],
    ) -> JSONResponse:
        body = queries.session_requests(_backend(request), who, session_id)
        if body is None:
            raise ApiError(404, "not_found", "no such session", field="session_id")
        return _json(body)

    if demo_tokens is not None:
        demo_path = Path(demo_tokens)

        @app.get("/v1/demo/tokens", include_in_schema=False)
        def list_demo_tokens() -> JSONResponse:
            data = json.loads(demo_path.read_text()) if demo_path.exists() else {}
            return _json({"tokens": [{"token": token, "principal": who} for token, who in data.items()]})

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    if viewer_dir is not None and Path(viewer_dir).is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=viewer_dir, html=True), name="viewer")
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, minus its 422 (this API answers bad input with 400 and the error body)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema
