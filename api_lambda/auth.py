"""Who is calling: a bearer token from a local tokens file, or JWT claims in API Gateway.

Both turn a request into a principal (a `Scope`), or raise 401/403 with the JSON error body.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Protocol

from api_lambda.errors import ApiError, logger, unauthorized
from api_lambda.scope import InvalidPrincipal, Scope, principal_from_mapping
from api_lambda.web import Request

CLAIM_PREFIX = "analytics:"
CLAIM_NAMES = {key: f"{CLAIM_PREFIX}{key}" for key in ("level", "client_id", "reseller_id", "user_id")}


class Authenticator(Protocol):
    def __call__(self, request: Request) -> Scope: ...


def load_tokens(path: Path) -> dict[str, Scope]:
    """Parse a tokens file (`{token: principal}`); malformed entries are skipped and logged."""
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object mapping tokens to principals")
    tokens: dict[str, Scope] = {}
    for token, principal in data.items():
        try:
            if not isinstance(principal, dict):
                raise InvalidPrincipal("a principal must be a JSON object")
            tokens[token] = principal_from_mapping(principal)
        except InvalidPrincipal as exc:
            logger.warning("skipping a malformed token entry", extra={"file": str(path), "reason": str(exc)})
    return tokens


class TokensFileAuthenticator:
    """Local auth: the file is re-read when it changes, so `make tokens` needs no restart."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._tokens: dict[str, Scope] = {}

    def tokens(self) -> dict[str, Scope]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            return {}
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._tokens = load_tokens(self.path)
                except (OSError, ValueError) as exc:
                    logger.error("tokens file unreadable", extra={"file": str(self.path), "error": str(exc)})
                    self._tokens = {}
                self._stamp = stamp
            return self._tokens

    def __call__(self, request: Request) -> Scope:
        token = request.bearer_token()
        if not token:
            raise unauthorized("send Authorization: Bearer <token>")
        principal = self.tokens().get(token)
        if principal is None:
            raise unauthorized("unknown token")
        return principal


def claims_from_event(event: Any) -> dict[str, Any] | None:
    try:
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    except (KeyError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


class JwtClaimsAuthenticator:
    """AWS auth: API Gateway's JWT authorizer has verified the token; read its claims.

    Claims: `analytics:level`, `analytics:client_id`, `analytics:reseller_id`,
    `analytics:user_id` (docs/contracts.md §4). The Lambda adapter passes the raw event along.
    """

    def __call__(self, request: Request) -> Scope:
        claims = claims_from_event(request.event)
        if claims is None:
            raise unauthorized("no verified token: the request did not pass the JWT authorizer")
        principal = {key: claims.get(name) for key, name in CLAIM_NAMES.items()}
        try:
            return principal_from_mapping(principal)
        except InvalidPrincipal as exc:
            raise ApiError(
                403, "invalid_principal", f"the token's analytics claims are invalid: {exc}"
            ) from None
