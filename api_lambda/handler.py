"""Lambda entry point: the same FastAPI app behind API Gateway's HTTP API (payload v2) via Mangum.

Everything is built once per container, at import: settings, the backend (its botocore Athena
client) and the app. The principal comes from the JWT authorizer's claims.
"""

from __future__ import annotations

from mangum import Mangum

from api_lambda.app import create_app
from api_lambda.auth import JwtClaimsAuthenticator
from api_lambda.backends import make_backend
from api_lambda.errors import logger
from api_lambda.settings import Settings

settings = Settings.from_env()
if settings.cursor_secret_is_random:
    logger.warning("CURSOR_SECRET is not set: paging cursors only work within this container")
app = create_app(settings, make_backend(settings), JwtClaimsAuthenticator())
handler = Mangum(app, lifespan="off")
