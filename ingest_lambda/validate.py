"""Contract 1 validation: one parsed analytics line -> the raw record's fields, or a quarantine reason.

Reasons are `<code>` or `<code>:<field>`; the code alone is what metrics and the simulator count.
The checks are ordered cheapest first and use type identity (`type(x) is int`) because bool is an
int subclass and must not pass as a status or a quantity.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ingest_lambda.contract import (
    CURRENCIES,
    ID_PATTERN,
    MAX_DURATION_MS,
    MAX_LINE_REVENUE,
    MAX_METHOD_CHARS,
    MAX_PATH_CHARS,
    MAX_QUANTITY,
    MAX_STATUS,
    MAX_TEXT_CHARS,
    MAX_UNIT_PRICE,
    METHOD_TCHARS,
    MIN_STATUS,
    PRICE_DECIMALS,
    SUPPORTED_SCHEMA_VERSIONS,
    line_revenue_fits,
)

_is_id = re.compile(ID_PATTERN).fullmatch
# All five ids of an event in one regex call; they are joined with a newline, which no id contains.
_are_ids = re.compile("\n".join([ID_PATTERN] * 5)).fullmatch
_quote = json.encoder.encode_basestring  # the C encoder for one JSON string (non-ASCII kept as is)
_is_method = re.compile(f"[{re.escape(METHOD_TCHARS)}]{{1,{MAX_METHOD_CHARS}}}").fullmatch
# Below this float product, price x quantity is surely below MAX_LINE_REVENUE (a float's error is
# far smaller than the margin); at or above it the exact decimal product decides.
_SURELY_FITS = float(MAX_LINE_REVENUE) * 0.99
# Contract 1's fields of `analytics` and of a product, fetched in one C-level pass (`map(d.get, ...)`).
_ANALYTICS_KEYS = (
    "schema_version", "request_id", "session_id", "client_id", "reseller_id", "user_id",
    "occurred_at", "method", "path", "status", "duration_ms", "products",
)  # fmt: skip
_PRODUCT_KEYS = ("product_id", "name", "category", "unit_price", "currency", "quantity")
# orjson turns an integer beyond 64 bits into a float where the json module keeps an int, and a
# price is the one field where both would pass but render differently. A float this large from
# orjson fails validation so the line is judged again on the json module's decode (parse.py).
FAST_DECODER_MAX_FLOAT = float(2**64)
AMBIGUOUS_NUMBER = "ambiguous_number"  # internal: never a quarantine reason (see parse.py)

# Quarantine reason codes (the part before any ':').
INVALID_UTF8 = "invalid_utf8"
LINE_TOO_LARGE = "line_too_large"
INVALID_JSON = "invalid_json"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
INVALID_ID = "invalid_id"
INVALID_VALUE = "invalid_value"
INVALID_TIMESTAMP = "invalid_timestamp"
NAIVE_TIMESTAMP = "naive_timestamp"
TOO_OLD = "too_old"
TOO_FAR_IN_FUTURE = "too_far_in_future"
UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"

_fromisoformat = datetime.fromisoformat
_has_iso_offset = re.compile(r"(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)\Z").search


@dataclass(frozen=True)
class Bounds:
    """How far an event's time may sit from the time the log platform received its line."""

    max_age: timedelta
    max_future: timedelta

    def window(self, received: datetime) -> tuple[datetime, datetime]:
        """(oldest, newest) acceptable naive-UTC `occurred_at` for a line received at `received`."""
        return received - self.max_age, received + self.max_future


def reason_code(reason: str) -> str:
    return reason.split(":", 1)[0]


def _absent_or_wrong(value: object, field: str) -> str:
    return f"{MISSING_FIELD}:{field}" if value is None else f"{WRONG_TYPE}:{field}"


def _int_reason(value: object, field: str) -> str:
    """Why a value that had to be an integer in range is not."""
    if type(value) is not int:
        return _absent_or_wrong(value, field)
    return f"{INVALID_VALUE}:{field}"


def utc_text(value: datetime) -> str:
    """A naive-UTC datetime as Contract 1's `YYYY-MM-DDTHH:MM:SS.ffffffZ`."""
    return value.isoformat(timespec="microseconds") + "Z"


def parse_occurred_at(value: object) -> datetime | str:
    """ISO-8601 with an offset -> naive UTC datetime, or a reason."""
    if type(value) is not str:
        return _absent_or_wrong(value, "occurred_at")
    try:
        parsed = _fromisoformat(value)
        offset = parsed.utcoffset()
        if offset is None:
            return f"{NAIVE_TIMESTAMP}:occurred_at"
        if not _has_iso_offset(value):
            # Python also takes offsets ISO-8601 does not, such as +05:75 or +05:30:15.
            return f"{INVALID_TIMESTAMP}:occurred_at"
        if offset:
            parsed = parsed - offset
        return parsed.replace(tzinfo=None)
    except (ValueError, OverflowError):
        return f"{INVALID_TIMESTAMP}:occurred_at"


def _id_reason(value: object, field: str) -> str:
    if type(value) is not str:
        return _absent_or_wrong(value, field)
    return f"{INVALID_ID}:{field}"


def validate_event(
    obj: dict[str, Any], oldest: datetime, newest: datetime, max_float: float = math.inf
) -> tuple[bool, str]:
    """Validate one `analytics.request` object.

    Returns (True, the raw record's JSON up to and including `service`, without the closing brace)
    or (False, a reason). The record is rendered here, from validated values, because that is much
    cheaper than a dict and json.dumps per event: ids, method and timestamps are already known to
    need no escaping and free text goes through the C string encoder. A float price at or above
    `max_float` is refused with AMBIGUOUS_NUMBER (see FAST_DECODER_MAX_FLOAT).
    """
    a = obj.get("analytics")
    if type(a) is not dict:
        return False, _absent_or_wrong(a, "analytics")
    (
        version, request_id, session_id, client_id, reseller_id, user_id,
        occurred_at, method, path, status, duration, products,
    ) = map(a.get, _ANALYTICS_KEYS)  # fmt: skip
    if type(version) is not int:
        return False, _absent_or_wrong(version, "schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        return False, UNSUPPORTED_SCHEMA_VERSION
    if not (
        type(request_id) is str
        and type(session_id) is str
        and type(client_id) is str
        and type(reseller_id) is str
        and type(user_id) is str
        and _are_ids(f"{request_id}\n{session_id}\n{client_id}\n{reseller_id}\n{user_id}")
    ):
        for field, value in (
            ("request_id", request_id),
            ("session_id", session_id),
            ("client_id", client_id),
            ("reseller_id", reseller_id),
            ("user_id", user_id),
        ):
            if type(value) is not str or not _is_id(value):
                return False, _id_reason(value, field)

    if (
        type(occurred_at) is str
        and len(occurred_at) == 24
        and occurred_at[23] == "Z"
        and occurred_at[4:20:3] == "--T::."  # the separators at 4, 7, 10, 13, 16 and 19
    ):
        # The common `...SS.mmmZ` form: already UTC, so only the date itself needs checking.
        try:
            occurred = _fromisoformat(occurred_at[:23])
        except ValueError:
            return False, f"{INVALID_TIMESTAMP}:occurred_at"
        occurred_text = occurred_at[:23] + "000Z"
    else:
        parsed = parse_occurred_at(occurred_at)
        if type(parsed) is str:
            return False, parsed
        occurred = parsed
        occurred_text = utc_text(parsed)
    if occurred < oldest:
        return False, TOO_OLD
    if occurred > newest:
        return False, TOO_FAR_IN_FUTURE

    if type(method) is not str:
        return False, _absent_or_wrong(method, "method")
    if not _is_method(method):
        return False, f"{INVALID_VALUE}:method"
    method = method.upper()
    if type(path) is not str:
        return False, _absent_or_wrong(path, "path")
    if not (0 < len(path) <= MAX_PATH_CHARS and path.isprintable()):
        return False, f"{INVALID_VALUE}:path"
    if not (type(status) is int and MIN_STATUS <= status <= MAX_STATUS):
        return False, _int_reason(status, "status")
    if not (type(duration) is int and 0 <= duration <= MAX_DURATION_MS):
        return False, _int_reason(duration, "duration_ms")

    if not products:
        if products is not None and type(products) is not list:
            return False, f"{WRONG_TYPE}:products"
        products_json = "[]"
    elif type(products) is not list:
        return False, f"{WRONG_TYPE}:products"
    else:
        ok, products_json = _render_products(products, max_float)
        if not ok:
            return False, products_json

    service = obj.get("service")
    if service is None:
        service = ""
    elif type(service) is not str:
        return False, f"{WRONG_TYPE}:service"
    elif not (len(service) <= MAX_TEXT_CHARS and service.isprintable()):
        return False, f"{INVALID_VALUE}:service"

    return True, (
        f'{{"schema_version":{version},"request_id":"{request_id}","session_id":"{session_id}",'
        f'"client_id":"{client_id}","reseller_id":"{reseller_id}","user_id":"{user_id}",'
        f'"occurred_at":"{occurred_text}","method":"{method}","path":{_quote(path)},"status":{status},'
        f'"duration_ms":{duration},"products":{products_json},"service":{_quote(service)}'
    )


def _text_ok(value: str) -> bool:
    return 0 < len(value) <= MAX_TEXT_CHARS and value.isprintable()


def _render_products(products: list[Any], max_float: float) -> tuple[bool, str]:
    """(True, the products' JSON array) or (False, a reason)."""
    out = []
    for p in products:
        if type(p) is not dict:
            return False, f"{WRONG_TYPE}:products"
        product_id, name, category, price, currency, quantity = map(p.get, _PRODUCT_KEYS)
        if type(product_id) is not str or not _is_id(product_id):
            return False, _id_reason(product_id, "products.product_id")
        if not (
            type(name) is str
            and 0 < len(name) <= MAX_TEXT_CHARS
            and name.isprintable()
            and type(category) is str
            and 0 < len(category) <= MAX_TEXT_CHARS
            and category.isprintable()
        ):
            for field, value in (("products.name", name), ("products.category", category)):
                if type(value) is not str:
                    return False, _absent_or_wrong(value, field)
                if not _text_ok(value):
                    return False, f"{INVALID_VALUE}:{field}"
        if type(price) is float:
            if price >= max_float:
                return False, AMBIGUOUS_NUMBER
        elif type(price) is not int:
            return False, _absent_or_wrong(price, "products.unit_price")
        # round() is exact: a float equal to its rounding to 4 places prints with at most 4.
        if not (0 <= price < MAX_UNIT_PRICE and round(price, PRICE_DECIMALS) == price):
            return False, f"{INVALID_VALUE}:products.unit_price"
        if type(currency) is not str:
            return False, _absent_or_wrong(currency, "products.currency")
        if currency not in CURRENCIES:
            return False, f"{INVALID_VALUE}:products.currency"
        if not (type(quantity) is int and 0 <= quantity <= MAX_QUANTITY):
            return False, _int_reason(quantity, "products.quantity")
        if price * quantity >= _SURELY_FITS and not line_revenue_fits(price, quantity):
            return False, f"{INVALID_VALUE}:products.revenue"
        # repr() of an int or a finite float is exactly what json.dumps writes for it.
        out.append(
            f'{{"product_id":"{product_id}","name":{_quote(name)},"category":{_quote(category)},'
            f'"unit_price":{price!r},"currency":"{currency}","quantity":{quantity}}}'
        )
    return True, "[" + ",".join(out) + "]"
