"""The request the API's routes read, and the JSON response they answer with.

`Request` is what auth and the routes need of an HTTP API (payload v2) event: the method, the
path, the query (last value of a repeated name, as read from `rawQueryString`), lower-case
headers and the raw event (the JWT authorizer's claims). Responses are Powertools `Response`
objects whose body is already JSON text, with lower-case header names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aws_lambda_powertools.event_handler.api_gateway import Response

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    # One value per name (the last one when a name is repeated, as Starlette and FastAPI read it).
    query: Mapping[str, str] = field(default_factory=dict)
    # Lower-case header names.
    headers: Mapping[str, str] = field(default_factory=dict)
    # The API Gateway event: its JWT authorizer's claims, when the request passed one.
    event: Mapping[str, Any] | None = None

    def bearer_token(self) -> str | None:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def request_from_event(event: Mapping[str, Any]) -> Request:
    """An HTTP API v2 event as a Request.

    The query comes from `rawQueryString`, not `queryStringParameters`, where API Gateway joins a
    repeated name's values with commas. API Gateway has already decoded `rawPath`, and it combines
    a repeated header into one comma-separated value.
    """
    http = _mapping(_mapping(event.get("requestContext")).get("http"))
    return Request(
        method=str(http.get("method") or "GET").upper(),
        path=str(event.get("rawPath") or http.get("path") or "/"),
        query=dict(parse_qsl(str(event.get("rawQueryString") or ""), keep_blank_values=True)),
        headers={str(name).lower(): str(value) for name, value in _mapping(event.get("headers")).items()},
        event=event,
    )


def json_text(content: Any) -> str:
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    extra = {name.lower(): value for name, value in (headers or {}).items()}
    # The body is text already, so Powertools sends it as it is (no serializer, no base64).
    return Response(status, body=json_text(content), headers={"content-type": JSON_TYPE, **extra})
