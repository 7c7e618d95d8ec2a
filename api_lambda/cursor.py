"""Opaque, tamper-evident paging cursors for `/v1/sessions`.

A cursor carries the keyset position (started_at, session_id) of the last row served, signed
with HMAC-SHA256 over the position AND a binding string (the tenant scope and the filters). A
cursor replayed under another scope or other filters fails verification like a forged one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime

from api_lambda.errors import bad_request

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,400}\.[A-Za-z0-9_-]{43}$"
_VERSION = 1


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("the cursor secret must not be empty")
        self._secret = secret

    def _sign(self, payload: str, binding: str) -> str:
        message = f"{binding}\n{payload}".encode()
        return _b64encode(hmac.new(self._secret, message, hashlib.sha256).digest())

    def encode(self, started_at: datetime, session_id: str, binding: str) -> str:
        body = json.dumps(
            {"v": _VERSION, "t": started_at.isoformat(timespec="microseconds"), "s": session_id},
            separators=(",", ":"),
        )
        payload = _b64encode(body.encode())
        return f"{payload}.{self._sign(payload, binding)}"

    def decode(self, cursor: str, binding: str) -> tuple[datetime, str]:
        """The position in `cursor`, or 400 when it is malformed, forged or bound elsewhere."""
        invalid = bad_request(
            "cursor is not valid for this query; start again without it",
            field="cursor",
            code="invalid_cursor",
        )
        payload, _, signature = cursor.partition(".")
        if not payload or not signature:
            raise invalid
        if not hmac.compare_digest(signature, self._sign(payload, binding)):
            raise invalid
        try:
            body = json.loads(_b64decode(payload))
            if body.get("v") != _VERSION:
                raise invalid
            return datetime.fromisoformat(body["t"]), str(body["s"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise invalid from None
