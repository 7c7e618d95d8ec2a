"""Emit one analytics line (Contract 1) from the app. Standard library only: copy this file as is.

    from ingest_lambda.emit import emit_request

    emit_request(
        request_id=request_id, session_id=session_id,
        client_id="acme", reseller_id="north-shop", user_id="u-1842",
        method="GET", path="/products/42", status=200, duration_ms=42,
        products=[{"product_id": "p-42", "name": "Blue Mug", "category": "kitchen",
                   "unit_price": 12.5, "currency": "GBP", "quantity": 1}],
        service="storefront",
    )

It prints one JSON line to stdout (which Lambda sends to CloudWatch Logs) and returns it. Bad input
raises ValueError at the call site, so a mistake shows up in the app's tests instead of the
ingest's quarantine.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

SCHEMA_VERSION = 1
_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_METHOD = re.compile(r"[A-Z]{1,16}")


def _id(name: str, value: object) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError(f"{name} must be 1-128 characters of A-Z a-z 0-9 . _ : @ -, got {value!r}")
    return value


def _text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise ValueError(f"{name} must be printable text of 1-{limit} characters, got {value!r}")
    return value


def _count(name: str, value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value


def _timestamp(value: datetime | None) -> str:
    if value is None:
        value = datetime.now(UTC)
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"occurred_at must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _product(index: int, p: Mapping[str, Any]) -> dict[str, Any]:
    where = f"products[{index}]"
    price = p.get("unit_price")
    if type(price) not in (int, float) or not math.isfinite(price) or price < 0:
        raise ValueError(f"{where}.unit_price must be a finite number >= 0, got {price!r}")
    currency = p.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ValueError(f"{where}.currency must be an ISO 4217 code like 'GBP', got {currency!r}")
    return {
        "product_id": _id(f"{where}.product_id", p.get("product_id")),
        "name": _text(f"{where}.name", p.get("name"), 512),
        "category": _text(f"{where}.category", p.get("category"), 512),
        "unit_price": price,
        "currency": currency,
        "quantity": _count(f"{where}.quantity", p.get("quantity", 1)),
    }


def analytics_line(
    *,
    request_id: str,
    session_id: str,
    client_id: str,
    reseller_id: str,
    user_id: str,
    method: str,
    path: str,
    status: int,
    duration_ms: int,
    products: Iterable[Mapping[str, Any]] = (),
    occurred_at: datetime | None = None,
    service: str = "",
) -> str:
    """The analytics line for one request, validated; `occurred_at` defaults to now."""
    if not isinstance(method, str) or not _METHOD.fullmatch(method.upper()):
        raise ValueError(f"method must be an HTTP method like 'GET', got {method!r}")
    if type(status) is not int or not 100 <= status <= 599:
        raise ValueError(f"status must be an integer 100-599, got {status!r}")
    if not isinstance(service, str) or len(service) > 512 or not service.isprintable():
        raise ValueError(f"service must be printable text of at most 512 characters, got {service!r}")
    when = _timestamp(occurred_at)
    analytics = {
        "schema_version": SCHEMA_VERSION,
        "request_id": _id("request_id", request_id),
        "session_id": _id("session_id", session_id),
        "client_id": _id("client_id", client_id),
        "reseller_id": _id("reseller_id", reseller_id),
        "user_id": _id("user_id", user_id),
        "occurred_at": when,
        "method": method.upper(),
        "path": _text("path", path, 2048),
        "status": status,
        "duration_ms": _count("duration_ms", duration_ms),
        "products": [_product(i, p) for i, p in enumerate(products)],
    }
    line = {"level": "INFO", "message": "analytics.request", "timestamp": when, "service": service}
    line["analytics"] = analytics
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False)


def emit_request(*, stream: TextIO | None = None, **fields: Any) -> str:
    """Print the analytics line for one request (to stdout by default) and return it."""
    line = analytics_line(**fields)
    print(line, file=stream or sys.stdout, flush=True)
    return line
