"""Lambda entry point: API Gateway HTTP API (payload v2) events straight into the framework-free `Api`.

Everything is built once per container, at import: settings, the backend (whose botocore Athena
client is itself created on the first query) and the API. No web framework, no event loop: an
event becomes a `Request`, the answer a v2 response dict. The principal comes from the JWT
authorizer's claims, which `JwtClaimsAuthenticator` reads from the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from aws_lambda_powertools.logging import correlation_paths

from api_lambda.app import Api
from api_lambda.auth import JwtClaimsAuthenticator
from api_lambda.backends import make_backend
from api_lambda.errors import logger
from api_lambda.settings import Settings
from api_lambda.web import Request

settings = Settings.from_env()
if settings.cursor_secret_is_random:
    logger.warning("CURSOR_SECRET is not set: paging cursors only work within this container")
api = Api(settings, make_backend(settings), JwtClaimsAuthenticator())


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def to_request(event: Mapping[str, Any]) -> Request:
    """An HTTP API v2 event as a Request; `rawQueryString` keeps repeated names (the last one wins)."""
    http = _mapping(_mapping(event.get("requestContext")).get("http"))
    raw_path = event.get("rawPath") or http.get("path") or "/"
    raw_query = event.get("rawQueryString") or ""
    headers = {str(name).lower(): str(value) for name, value in _mapping(event.get("headers")).items()}
    return Request(
        method=str(http.get("method") or "GET").upper(),
        path=unquote(str(raw_path)),
        query=dict(parse_qsl(str(raw_query), keep_blank_values=True)),
        headers=headers,
        event=event,
    )


# Every log line of an invocation carries the function's context and the HTTP API's request id
# (`correlation_id`), so one request's lines are found together.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    request = to_request(_mapping(event))
    response = api.handle(request)
    logger.info(
        "answered",
        extra={"method": request.method, "route": request.path[:300], "status": response.status},
    )
    return {
        "statusCode": response.status,
        "headers": response.headers,
        "body": "" if request.method == "HEAD" else response.body.decode(),
        "isBase64Encoded": False,
    }
