"""The OpenAPI 3.1 document, built from the route table (`app.ROUTES`) and the response schemas here.

Parameters come from the same `Param` objects that validate requests; the response schemas below
describe exactly the JSON the handlers build (`additionalProperties: false`), and the fuzzing
suite checks every answer against them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api_lambda.errors import ERROR_CODES

if TYPE_CHECKING:
    from api_lambda.app import Route

TITLE = "Request analytics API"
VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = (), title: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }
    if title:
        schema["title"] = title
    return schema


def _string(description: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": "string", **({"description": description} if description else {}), **extra}


def _integer(description: str = "") -> dict[str, Any]:
    return {"type": "integer", **({"description": description} if description else {})}


def _number(description: str = "") -> dict[str, Any]:
    return {"type": "number", **({"description": description} if description else {})}


def _array(items: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"type": "array", "items": items, **({"description": description} if description else {})}


_FIGURES = {
    "sessions": _integer("Distinct sessions with at least one request in the period or range."),
    "requests": _integer("Distinct requests."),
    "requests_per_session": _number("requests / sessions, 4 decimals; 0 when no sessions."),
}
_COUNTED = {
    "from": _string("First day counted (widened to whole periods).", format="date"),
    "to": _string("Last day counted, inclusive (widened to whole periods).", format="date"),
    "scope": _ref("Scope"),
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Scope": _object(
        {
            "level": {"type": "string", "enum": ["global", "client", "reseller", "user"]},
            "client_id": _string("Set from level client down."),
            "reseller_id": _string("Set from level reseller down; unique within its client."),
            "user_id": _string("Set at level user; unique within its reseller."),
        },
        optional=("client_id", "reseller_id", "user_id"),
    ),
    "SeriesPoint": _object(
        {"period_start": _string("Start of the period, UTC, `YYYY-MM-DDTHH:MM:SSZ`."), **_FIGURES}
    ),
    "SessionMetrics": _object(
        {
            "grain": {"type": "string", "enum": ["hour", "day", "week", "month"]},
            **_COUNTED,
            "series": _array(
                _ref("SeriesPoint"), "Dense: one point per period, zeros where nothing happened."
            ),
        }
    ),
    "BreakdownRow": _object(
        {
            "client_id": _string(),
            "reseller_id": _string("Present when by is reseller or user."),
            "user_id": _string("Present when by is user."),
            **_FIGURES,
        },
        optional=("reseller_id", "user_id"),
    ),
    "Breakdown": _object(
        {
            "by": {"type": "string", "enum": ["client", "reseller", "user"]},
            **_COUNTED,
            "rows": _array(_ref("BreakdownRow"), "Totals over the whole range, most sessions first."),
        }
    ),
    "ProductRow": _object(
        {
            "product_id": _string(),
            "name": _string(),
            "category": _string(),
            "currency": _string(
                "ISO 4217 currency code (ingest accepts only its list's codes); figures are per currency."
            ),
            "requests": _integer("Distinct requests that carried the product."),
            "sessions": _integer("Distinct sessions with such a request."),
            "quantity": _integer(),
            "revenue": _number("Sum of unit_price x quantity, in `currency`."),
        }
    ),
    "Products": _object({**_COUNTED, "products": _array(_ref("ProductRow"), "By requests, descending.")}),
    "SessionRow": _object(
        {
            "session_id": _string(),
            "client_id": _string(),
            "reseller_id": _string(),
            "user_id": _string(),
            "started_at": _string("UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`."),
            "ended_at": _string("UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`."),
            "requests": _integer(),
        }
    ),
    "SessionsPage": _object(
        {
            "sessions": _array(_ref("SessionRow"), "Newest first (started_at, then session_id, descending)."),
            "next_cursor": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "description": "Pass as `cursor` for the next page; null on the last page.",
            },
        }
    ),
    "RequestProduct": _object(
        {
            "product_id": _string(),
            "name": _string(),
            "category": _string(),
            "unit_price": _number(),
            "currency": _string(),
            "quantity": _integer(),
        }
    ),
    "SessionRequest": _object(
        {
            "request_id": _string(),
            "occurred_at": _string("UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`."),
            "method": _string(),
            "path": _string(),
            "status": _integer(),
            "duration_ms": _integer(),
            "products": _array(_ref("RequestProduct")),
        }
    ),
    "SessionRequests": _object(
        {"session_id": _string(), "requests": _array(_ref("SessionRequest"), "In time order.")}
    ),
    "Health": _object(
        {
            "status": {"type": "string", "enum": ["ok"]},
            "backend": {"type": "string", "enum": ["duckdb", "lake"]},
        }
    ),
    "ErrorDetail": _object(
        {
            "code": {
                "type": "string",
                "enum": list(ERROR_CODES),
                "description": "Stable machine-readable code: "
                + "; ".join(f"`{code}`: {meaning}" for code, meaning in ERROR_CODES.items())
                + ".",
            },
            "message": _string("What is wrong, for people."),
            "field": _string("The parameter at fault, when there is one."),
        },
        optional=("field",),
    ),
    "ErrorResponse": _object({"error": _ref("ErrorDetail")}),
}

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid parameter: the body names the problem and the field.",
    401: (
        "Missing or unknown token. In AWS, API Gateway's JWT authorizer refuses a missing or invalid"
        ' JWT itself, before the API runs, with the body `{"message":"Unauthorized"}` instead.'
    ),
    403: "The requested scope is outside the token's scope.",
    404: "No such session in the token's scope (its existence is not revealed).",
    503: "The warehouse cannot answer now; retry after `Retry-After` seconds.",
}
_ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`.", "required": True, "schema": {"type": "string"}}},
    503: {
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
}


def _json_content(schema_name: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(schema_name)}}


def _operation(route: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "Successful response.", "content": _json_content(route.response)}
    }
    for status in route.errors:
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": _json_content("ErrorResponse"),
            **({"headers": _ERROR_HEADERS[status]} if status in _ERROR_HEADERS else {}),
        }
    operation: dict[str, Any] = {
        "tags": [route.tag],
        "summary": route.summary,
        "operationId": route.operation_id,
        "parameters": [param.openapi() for param in route.params],
        "responses": responses,
    }
    if route.auth:
        operation["security"] = [{"HTTPBearer": []}]
    return operation


def document(routes: tuple[Route, ...], description: str) -> dict[str, Any]:
    """The whole document for the documented routes, in table order."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.documented:
            paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": description},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "HTTPBearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from the tokens file (local) or a JWT (AWS).",
                }
            },
        },
    }
