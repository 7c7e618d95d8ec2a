"""One CloudWatch message -> a raw record, a quarantine reason, or a skip: the reference path.

A line is an analytics line when it contains the marker `analytics.request`, written as it is or
with JSON `\\uXXXX` escapes (`analytics\\u002erequest` is the same JSON string); everything else
(Lambda START/END/REPORT, other app logs) is skipped and counted without being decoded. An
analytics line is either landed or quarantined with a reason, never dropped. The payload is the
whole message, or the part after the Lambda text prefix `<timestamp>\\t<request id>\\t<LEVEL>\\t`.

`run.land_batch` takes most lines by the regex of canonical.py and hands only the others here.
This path decodes with orjson (several times faster than the json module), but the json module
stays the reference: a line orjson rejects, or whose event does not validate, is decoded again by
`json` and judged on that. So the outcome of every line is exactly what `json.loads` gives,
including what orjson refuses (lone surrogate escapes, NaN, integers beyond 64 bits, ...).
"""

from __future__ import annotations

import json
import re
from datetime import datetime

import orjson

from ingest_lambda import validate as v

MARKER = "analytics.request"
MARKER_BYTES = MARKER.encode()
# A line holding no `\u` escape cannot hold an escaped marker: the one test the fast path adds.
ESCAPE_BYTES = b"\\u"
_UNICODE_ESCAPE = re.compile(rb"\\u([0-9a-fA-F]{4})")

SKIP = 0
LAND = 1
QUARANTINE = 2

_fast_loads = orjson.loads
_exact_loads = json.loads


def as_bytes(message: str | bytes) -> bytes:
    """A message as the bytes it was sent as; a str that cannot be UTF-8 (a lone surrogate) keeps
    its surrogates as bytes that are not UTF-8, so it is quarantined as such."""
    return message if type(message) is bytes else message.encode("utf-8", "surrogatepass")


def _unescape(match: re.Match[bytes]) -> bytes:
    return chr(int(match[1], 16)).encode("utf-8", "surrogatepass")


def has_marker(data: bytes) -> bool:
    """Whether a line carries the marker, as it is or written with JSON `\\uXXXX` escapes. A line
    with an escaped marker is then judged by its parsed content like any other (landed when its
    `message` is the marker, skipped when not; quarantined as invalid JSON when it is not JSON)."""
    if MARKER_BYTES in data:
        return True
    return ESCAPE_BYTES in data and MARKER_BYTES in _UNICODE_ESCAPE.sub(_unescape, data)


def raw_text(message: bytes) -> str:
    """The message as text for quarantine; bytes that are not UTF-8 are kept readable as `\\xNN`."""
    return message.decode("utf-8", "backslashreplace")


def parse_message(
    message: str | bytes, oldest: datetime, newest: datetime, max_line_bytes: int
) -> tuple[int, str]:
    """Classify one message: (SKIP, ""), (QUARANTINE, reason) or (LAND, the record's JSON head).

    The head is the raw record up to `service` without its closing brace; the caller appends the
    ingest metadata (`ingested_at`, `log_group`, `log_stream`, `event_id`) and the brace.
    """
    data = as_bytes(message)
    if not has_marker(data):
        return SKIP, ""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return QUARANTINE, v.INVALID_UTF8
    if len(data) > max_line_bytes:
        return QUARANTINE, v.LINE_TOO_LARGE
    if text[0] != "{":
        parts = text.split("\t", 3)
        if len(parts) == 4:
            text = parts[3]
    try:
        obj = _fast_loads(text)
    except ValueError:  # orjson.JSONDecodeError, also for what only orjson refuses
        return _parse_exact(text, oldest, newest)
    if type(obj) is not dict or obj.get("message") != MARKER:
        # Valid JSON that only mentions the marker (say, a debug log) is not an analytics line.
        return SKIP, ""
    ok, value = v.validate_event(obj, oldest, newest, v.FAST_DECODER_MAX_FLOAT)
    if ok:
        return LAND, value
    return _parse_exact(text, oldest, newest)


def _parse_exact(text: str, oldest: datetime, newest: datetime) -> tuple[int, str]:
    """The reference decode: the json module, and validation of what it gives."""
    try:
        obj = _exact_loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return QUARANTINE, v.INVALID_JSON
    if type(obj) is not dict or obj.get("message") != MARKER:
        return SKIP, ""
    ok, value = v.validate_event(obj, oldest, newest)
    return (LAND, value) if ok else (QUARANTINE, value)
