"""One error format for every failure: `{"error": {"code", "message", "field"?}}`, never a stack trace."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger

from api_lambda.web import Response, json_response

# The service of every log line and metric. Powertools reads POWERTOOLS_SERVICE_NAME itself only
# when no service is passed.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "analytics-api"
logger = Logger(service=SERVICE)

# Every `error.code` the API sends, with what it means (the OpenAPI document lists them).
ERROR_CODES: dict[str, str] = {
    "invalid_parameter": "a query or path parameter is malformed or out of range (`field` names it)",
    "invalid_cursor": "the paging cursor is forged, expired or from other filters",
    "invalid_header": "a header is malformed or repeated (e.g. two `Authorization` headers)",
    "unauthorized": "no token, or an unknown one",
    "forbidden": "the requested scope is outside the token's",
    "invalid_principal": "the token's analytics claims do not form a valid principal",
    "not_found": "no such route, or no such session in the token's scope",
    "method_not_allowed": "the route exists for other methods (see `Allow`)",
    "backend_unavailable": "the marts cannot answer now (not built, rebuilding, over the time budget)",
    "internal_error": "a bug; the request was logged",
}


class ApiError(Exception):
    """A client-facing error: status, a stable machine code, a message and the offending field."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        if code not in ERROR_CODES:
            raise ValueError(f"undocumented error code {code!r}: add it to ERROR_CODES")
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            detail["field"] = self.field
        return {"error": detail}

    def response(self, headers: dict[str, str] | None = None) -> Response:
        """The error as the JSON response the resolver sends, with `headers` added."""
        return json_response(self.body(), self.status, {**self.headers, **(headers or {})})


class BackendUnavailable(Exception):
    """The warehouse cannot answer now (timeout, throttling, not built, being rebuilt): a 503."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def as_api_error(self) -> ApiError:
        return ApiError(
            503, "backend_unavailable", self.message, headers={"Retry-After": str(self.retry_after)}
        )


def bad_request(message: str, field: str | None = None, code: str = "invalid_parameter") -> ApiError:
    return ApiError(400, code, message, field)


def forbidden(message: str, field: str | None = None) -> ApiError:
    return ApiError(403, "forbidden", message, field)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def not_found(message: str, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message, field)


def method_not_allowed(allowed: str) -> ApiError:
    return ApiError(405, "method_not_allowed", "method not allowed", headers={"Allow": allowed})
