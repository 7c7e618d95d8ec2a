"""The request and response every adapter (Lambda event, ASGI) converts to and from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    # One value per name (the last one when a name is repeated, as Starlette and FastAPI read it).
    query: Mapping[str, str] = field(default_factory=dict)
    # Lower-case header names.
    headers: Mapping[str, str] = field(default_factory=dict)
    # The API Gateway event when the request came through Lambda: its JWT authorizer's claims.
    event: Mapping[str, Any] | None = None

    def bearer_token(self) -> str | None:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    extra = {name.lower(): value for name, value in (headers or {}).items()}
    return Response(status, body, {"content-type": JSON_TYPE, **extra})
