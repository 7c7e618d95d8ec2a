"""The fast path for the common line: the exact shape `emit.py` writes, checked by one regex.

Nearly every analytics line is written by `emit.analytics_line`: fixed key order, no whitespace,
no escapes. For such a line a single compiled regular expression can prove everything the full
validation (`validate.validate_event` over a decoded object) would check, except the calendar
date and the time window, which are checked here too. Its raw record is then the line's own text
(the analytics object from `schema_version` to `products` is already in Contract 1's order and
format) with `occurred_at` widened to 6 fraction digits, so neither a JSON decode nor a field by
field check is needed.

The pattern accepts only what the full path lands with byte-identical output:
- text fields are printable ASCII without `"` or `\\`, so they need no escaping and pass
  `isprintable()`; anything else (non-ASCII, escapes) takes the full path;
- digits are `[0-9]` (Python's `\\d` would take other scripts' digits); integers have no leading
  zero and at most 19 digits;
- a price is an integer, or a decimal with at most 10 integer digits and either `.0` or at most 4
  fraction digits, the last one not 0: at most 14 significant digits, so `repr(float(text))` is
  the text itself and the record's number is the line's text;
- `occurred_at` has milliseconds and `Z` (kept, widened to microseconds) or an ISO-8601 offset
  (converted to UTC by the same function the full path uses).
A line that does not match, or whose date or time window fails, goes to the full path, which
gives the quarantine reason. tests/ingest/test_canonical.py checks both paths agree.
"""

from __future__ import annotations

import re
from datetime import datetime

from ingest_lambda.validate import parse_occurred_at, utc_text

_TEXT = r"[ !#-\[\]-~]"  # printable ASCII except '"' and '\'
_ID = r"[A-Za-z0-9._:@-]{1,128}"
_INT = r"(?:0|[1-9][0-9]{0,18})"
_PRICE = r"(?:0|[1-9][0-9]{0,9})(?:\.0|\.[0-9]{0,3}[1-9])?"
_ANY_STRING = r'"[^"\\\x00-\x1f]*"'  # a JSON string without escapes (for fields the ingest ignores)
_PRODUCT = (
    rf'\{{"product_id":"{_ID}","name":"{_TEXT}{{1,512}}","category":"{_TEXT}{{1,512}}",'
    rf'"unit_price":{_PRICE},"currency":"[A-Z]{{3}}","quantity":{_INT}\}}'
)
# Groups: `service`; the record from `schema_version` to occurred_at's opening quote; occurred_at
# up to its milliseconds; its zone (`Z` or an offset); the record from after occurred_at to the end
# of `products`.
_CANONICAL = re.compile(
    # The Lambda text prefix `<timestamp>\t<request id>\t<LEVEL>\t`, as parse.py splits it.
    r"(?:(?:[^{\t][^\t]*)?\t[^\t]*\t[^\t]*\t)?"
    rf'\{{"level":{_ANY_STRING},"message":"analytics\.request","timestamp":{_ANY_STRING},'
    rf'"service":"({_TEXT}{{0,512}})","analytics":\{{'
    rf'("schema_version":1,"request_id":"{_ID}","session_id":"{_ID}","client_id":"{_ID}",'
    rf'"reseller_id":"{_ID}","user_id":"{_ID}","occurred_at":")'
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3})"
    r"(Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
    rf'(","method":"[A-Z]{{1,16}}","path":"{_TEXT}{{1,2048}}","status":[1-5][0-9]{{2}},'
    rf'"duration_ms":{_INT},"products":\[(?:{_PRODUCT}(?:,{_PRODUCT})*)?\])\}}\}}'
).fullmatch
_fromisoformat = datetime.fromisoformat


def canonical_record(message: str, oldest: datetime, newest: datetime) -> str | None:
    """The raw record's head (as `validate.validate_event` renders it) for a canonical line that
    is valid and inside [oldest, newest]; None for anything else."""
    match = _CANONICAL(message)
    if match is None:
        return None
    service, head, occurred_at, zone, tail = match.groups()
    if zone == "Z":
        try:
            occurred = _fromisoformat(occurred_at)
        except ValueError:  # a date the calendar does not have, such as 02-30
            return None
        occurred_text = f"{occurred_at}000Z"
    else:
        parsed = parse_occurred_at(occurred_at + zone)
        if type(parsed) is str:
            return None
        occurred = parsed
        occurred_text = utc_text(parsed)
    if occurred < oldest or occurred > newest:
        return None
    return f'{{{head}{occurred_text}{tail},"service":"{service}"'
