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
- a price is an integer or a decimal with at most 10 integer and 4 fraction digits, the last one
  not 0: at most 14 significant digits, so `repr(float(text)) == text` and the record's number is
  the line's text.
A line that does not match, or whose date or time window fails, goes to the full path, which
gives the quarantine reason. tests/ingest/test_canonical.py checks both paths agree.
"""

from __future__ import annotations

import re
from datetime import datetime

_TEXT = r"[ !#-\[\]-~]"  # printable ASCII except '"' and '\'
_ID = r"[A-Za-z0-9._:@-]{1,128}"
_INT = r"(?:0|[1-9][0-9]{0,18})"
_PRICE = r"(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{0,3}[1-9])?"
_ANY_STRING = r'"[^"\\\x00-\x1f]*"'  # a JSON string without escapes (for fields the ingest ignores)
_PRODUCT = (
    rf'\{{"product_id":"{_ID}","name":"{_TEXT}{{1,512}}","category":"{_TEXT}{{1,512}}",'
    rf'"unit_price":{_PRICE},"currency":"[A-Z]{{3}}","quantity":{_INT}\}}'
)
# Groups: `service`; the record from `schema_version` to occurred_at's milliseconds; inside it,
# occurred_at without its `Z`; the record from after that `Z` to the end of `products`.
_CANONICAL = re.compile(
    # The Lambda text prefix `<timestamp>\t<request id>\t<LEVEL>\t`, as parse.py splits it.
    r"(?:(?:[^{\t][^\t]*)?\t[^\t]*\t[^\t]*\t)?"
    rf'\{{"level":{_ANY_STRING},"message":"analytics\.request","timestamp":{_ANY_STRING},'
    rf'"service":"({_TEXT}{{0,512}})","analytics":\{{'
    rf'("schema_version":1,"request_id":"{_ID}","session_id":"{_ID}","client_id":"{_ID}",'
    rf'"reseller_id":"{_ID}","user_id":"{_ID}",'
    r'"occurred_at":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}))Z'
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
    service, head, occurred_at, tail = match.groups()
    try:
        occurred = _fromisoformat(occurred_at)
    except ValueError:  # a date the calendar does not have, such as 02-30
        return None
    if occurred < oldest or occurred > newest:
        return None
    return f'{{{head}000Z{tail},"service":"{service}"'
