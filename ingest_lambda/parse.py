"""One CloudWatch message -> a raw record, a quarantine reason, or a skip.

A line is an analytics line when it contains the marker `analytics.request`; everything else
(Lambda START/END/REPORT, other app logs) is skipped and counted without being decoded. An
analytics line is either landed or quarantined with a reason, never dropped. The payload is the
whole message, or the part after the Lambda text prefix `<timestamp>\\t<request id>\\t<LEVEL>\\t`.

A line in the exact shape `emit.py` writes is validated by one regex (canonical.py). Any other
line is decoded by orjson (several times faster than the json module), but the json module stays
the reference: a line orjson rejects, or whose event does not validate, is decoded again by `json` and
judged on that. So the outcome of every line is exactly what `json.loads` gives, including what
orjson refuses (lone surrogate escapes, NaN, integers beyond 64 bits, ...), and only the common
case of a valid line pays for one decode.
"""

from __future__ import annotations

import json
from datetime import datetime

import orjson

from ingest_lambda import validate as v
from ingest_lambda.canonical import canonical_record

MARKER = "analytics.request"

SKIP = 0
LAND = 1
QUARANTINE = 2

_fast_loads = orjson.loads
_exact_loads = json.loads


def too_large(message: str, max_line_bytes: int) -> bool:
    # A str is at most 4 bytes per character in UTF-8, so most lines avoid the encode.
    n = len(message)
    if n * 4 <= max_line_bytes:
        return False
    return n > max_line_bytes or len(message.encode("utf-8", "surrogatepass")) > max_line_bytes


def parse_message(message: str, oldest: datetime, newest: datetime, max_line_bytes: int) -> tuple[int, str]:
    """Classify one message: (SKIP, ""), (QUARANTINE, reason) or (LAND, the record's JSON head).

    The head is the raw record up to `service` without its closing brace; the caller appends the
    ingest metadata (`ingested_at`, `log_group`, `log_stream`, `event_id`) and the brace.
    """
    if MARKER not in message:
        return SKIP, ""
    if len(message) * 4 > max_line_bytes and too_large(message, max_line_bytes):
        return QUARANTINE, v.LINE_TOO_LARGE
    record = canonical_record(message, oldest, newest)
    if record is not None:
        return LAND, record
    if message[0] != "{":
        parts = message.split("\t", 3)
        if len(parts) == 4:
            message = parts[3]
    try:
        obj = _fast_loads(message)
    except ValueError:  # orjson.JSONDecodeError, also for what only orjson refuses
        return _parse_exact(message, oldest, newest)
    if type(obj) is not dict or obj.get("message") != MARKER:
        # Valid JSON that only mentions the marker (say, a debug log) is not an analytics line.
        return SKIP, ""
    ok, value = v.validate_event(obj, oldest, newest, v.FAST_DECODER_MAX_FLOAT)
    if ok:
        return LAND, value
    return _parse_exact(message, oldest, newest)


def _parse_exact(message: str, oldest: datetime, newest: datetime) -> tuple[int, str]:
    """The reference path: decode with the json module and validate that."""
    try:
        obj = _exact_loads(message)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return QUARANTINE, v.INVALID_JSON
    if type(obj) is not dict or obj.get("message") != MARKER:
        return SKIP, ""
    ok, value = v.validate_event(obj, oldest, newest)
    return (LAND, value) if ok else (QUARANTINE, value)


def is_utf8_text(message: str) -> bool:
    """False when the text carries bytes that were not UTF-8 (decoded with surrogateescape)."""
    if message.isascii():
        return True
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escaped_text(message: str) -> str:
    """A line with non-UTF-8 bytes, kept readable for quarantine: each bad byte becomes `\\xNN`."""
    return message.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
