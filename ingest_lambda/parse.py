"""One CloudWatch message -> a raw record, a quarantine reason, or a skip.

A line is an analytics line when it contains the marker `analytics.request`; everything else
(Lambda START/END/REPORT, other app logs) is skipped and counted without being decoded. An
analytics line is either landed or quarantined with a reason, never dropped. The payload is the
whole message, or the part after the Lambda text prefix `<timestamp>\\t<request id>\\t<LEVEL>\\t`.
"""

from __future__ import annotations

import json
from datetime import datetime

from ingest_lambda import validate as v

MARKER = "analytics.request"

SKIP = 0
LAND = 1
QUARANTINE = 2

_loads = json.loads


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
    if message[0] != "{":
        parts = message.split("\t", 3)
        if len(parts) == 4:
            message = parts[3]
    try:
        obj = _loads(message)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return QUARANTINE, v.INVALID_JSON
    if type(obj) is not dict or obj.get("message") != MARKER:
        # Valid JSON that only mentions the marker (say, a debug log) is not an analytics line.
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
