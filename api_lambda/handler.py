"""Lambda entry point: API Gateway HTTP API (payload v2) events into Powertools' resolver.

Everything is built once per container, at import: settings, the backend (DuckDB with its
extensions loaded from the zip; it reads the serving pointer on the first request), the API and
its resolver. No event loop: the
resolver answers the event directly. The principal comes from the JWT authorizer's claims, which
`JwtClaimsAuthenticator` reads from the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from api_lambda.app import Api
from api_lambda.auth import JwtClaimsAuthenticator
from api_lambda.backends import make_backend
from api_lambda.errors import SERVICE, logger
from api_lambda.metrics import RouteMetrics
from api_lambda.settings import Settings
from api_lambda.web import request_from_event

settings = Settings.from_env()
if settings.cursor_secret_is_random:
    logger.warning("CURSOR_SECRET is not set: paging cursors only work within this container")
api = Api(
    settings,
    make_backend(settings, count_s3_reads=True),
    JwtClaimsAuthenticator(),
    metrics=RouteMetrics(settings.metrics_namespace, SERVICE),
)
app = api.resolver()


# Every log line of an invocation carries the function's context and the HTTP API's request id
# (`correlation_id`), so one request's lines are found together.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    request = request_from_event(event)
    response = app.resolve(event, context)
    if request.method == "HEAD":
        response["body"] = ""
    logger.info(
        "answered",
        extra={"method": request.method, "path": request.path[:300], "status": response["statusCode"]},
    )
    return response
