"""The fast path for the common line: the exact shape `emit.py` writes, found by one regex in the text.

Nearly every analytics line is written by `emit.analytics_line`: fixed key order, no whitespace,
no escapes. For such a line a single compiled regular expression proves everything the full
validation (`parse.parse_message`: a JSON decode, then `validate.validate_event`) would check but
the time window, which the caller checks by comparing fixed-width text. Its raw record is then
pieces of the line's own bytes (the analytics object from `schema_version` to `products` is already
in Contract 1's order and format) with `occurred_at` widened to 6 fraction digits, so neither a
decode nor a field-by-field check nor any datetime object is needed.

The regex runs over a whole block of lines at once (`finditer`), so lines that are not canonical,
most of them other logs, are never split out or looked at from Python. Every bound it checks is
built from contract.py, the constants the full path checks too. It accepts only what the full
path lands with byte-identical output:
- it works on the raw bytes and accepts ASCII only, so a line it takes is valid UTF-8;
- text fields are printable ASCII without `"` or `\\`, so they need no escaping and pass
  `isprintable()`; anything else (non-ASCII, escapes) takes the full path;
- digits are `[0-9]`; integers have no leading zero and lie within their bound (`_int_up_to`);
- a method is an RFC 9110 token without lower-case letters (the full path upper-cases those);
- a currency is one of contract.CURRENCIES (`_one_of`);
- a price is an integer, or a decimal with either `.0` or 1-4 fraction digits, the last one not 0,
  and at most FAST_PRICE_DIGITS integer digits: at most 12 significant digits, so
  `repr(float(text))` is the text itself and the record's number is the line's text, and any
  quantity the regex accepts times it stays below contract.MAX_LINE_REVENUE, the one rule a regex
  cannot check. A dearer price (up to contract.MAX_UNIT_PRICE) goes to the full path, which
  checks the line's revenue;
- `occurred_at` has milliseconds and a real calendar date, hour, minute and second (February 29th
  is left to the full path, which knows leap years), then `Z` (kept, widened to microseconds) or an
  ISO-8601 offset (converted to UTC by `utc_millis`, checked against the full path's function by
  the tests).
A line that does not match, or whose time is outside the window, goes to the full path, which
gives the quarantine reason. tests/ingest/test_canonical.py checks both paths agree, at every
bound too (hypothesis).
"""

from __future__ import annotations

import re
from datetime import date as dt_date
from datetime import datetime, timedelta
from functools import cache

from ingest_lambda.contract import (
    CURRENCIES,
    MAX_DURATION_MS,
    MAX_ID_CHARS,
    MAX_LINE_REVENUE,
    MAX_METHOD_CHARS,
    MAX_PATH_CHARS,
    MAX_QUANTITY,
    MAX_STATUS,
    MAX_TEXT_CHARS,
    MAX_UNIT_PRICE,
    MIN_STATUS,
    PRICE_DECIMALS,
    SUPPORTED_SCHEMA_VERSIONS,
)


def _int_up_to(limit: int) -> bytes:
    """A pattern for exactly the integers 0..limit as JSON writes them (no sign, no leading zero).

    The numbers with as many digits as `limit` are each one of its prefixes, then a lower digit,
    then any digits; then `limit` itself; then every shorter number. The lookahead makes the
    group refuse a longer run of digits rather than match a part of it."""
    digits = str(limit)
    width = len(digits)
    alternatives = []
    for i, digit in enumerate(digits):
        low, high, rest = (1 if i == 0 else 0), int(digit) - 1, width - i - 1
        if high >= low:
            alternatives.append(f"{digits[:i]}[{low}-{high}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(digits)
    if width > 1:
        alternatives.append(f"[1-9][0-9]{{0,{width - 2}}}")
    if limit:
        alternatives.append("0")
    return f"(?>(?:{'|'.join(alternatives)})(?![0-9]))".encode()


def _one_of(words: list[str]) -> bytes:
    """A pattern for exactly `words` (of one length, letters only), as a trie of atomic groups:
    sre tries at most one branch per letter."""
    if words[0] == "":
        return b""
    heads = sorted({w[0] for w in words})
    branches = [h.encode() + _one_of([w[1:] for w in words if w[0] == h]) for h in heads]
    return branches[0] if len(branches) == 1 else b"(?>" + b"|".join(branches) + b")"


# The integer digits of a price the fast path takes: below MAX_UNIT_PRICE, and small enough that
# times any quantity it takes the line's revenue stays below MAX_LINE_REVENUE.
FAST_PRICE_DIGITS = 8
assert 10**FAST_PRICE_DIGITS <= MAX_UNIT_PRICE
assert 10**FAST_PRICE_DIGITS * MAX_QUANTITY <= MAX_LINE_REVENUE
assert (MIN_STATUS, MAX_STATUS) == (100, 599)  # `[1-5][0-9]{2}` below
assert PRICE_DECIMALS == 4  # `[0-9]{1,4}` below
assert {len(c) for c in CURRENCIES} == {3}
assert all(c.isascii() and c.isupper() for c in CURRENCIES)

# Every repeat is possessive (`+`) and every alternation atomic (`(?>...)`), its alternatives
# exclusive, so sre keeps (next to) no state to go back to. Nothing but the separators matches a
# newline, so a match never runs past its own line.
_TEXT = rb"[ !#-\[\]-~]"  # printable ASCII except '"' and '\'
_ID = rb"[A-Za-z0-9._:@-]{1,%d}+" % MAX_ID_CHARS
_TEXT_FIELD = _TEXT + rb"{1,%d}+" % MAX_TEXT_CHARS
# An integer, or a decimal with at most FAST_PRICE_DIGITS integer digits and either `.0` or 1-4
# fraction digits the last of which is not 0 (the lookbehind).
_PRICE = rb"(?>0|[1-9][0-9]{0,%d}+)(?>\.0(?![0-9])|\.[0-9]{1,4}+(?<!0)|)(?![0-9])" % (FAST_PRICE_DIGITS - 1)
# An RFC 9110 token without lower-case letters.
_METHOD = rb"[!#$%%&'*+\-.^_`|~0-9A-Z]{1,%d}+" % MAX_METHOD_CHARS
_CURRENCY = _one_of(sorted(CURRENCIES))
_SCHEMA_VERSION = b"(?>" + b"|".join(b"%d" % v for v in sorted(SUPPORTED_SCHEMA_VERSIONS)) + rb")(?![0-9])"
_ANY_STRING = rb'"[ !#-\[\]-\x7f]*+"'  # an ASCII JSON string without escapes (fields the ingest ignores)
_PREFIX_FIELD = rb"[ -~]*+"  # printable ASCII: one range, the cheapest class for sre
_DATE = (
    rb"[0-9]{4}+-(?>(?>0[13578]|1[02])-(?>0[1-9]|[12][0-9]|3[01])"
    rb"|(?>0[469]|11)-(?>0[1-9]|[12][0-9]|30)|02-(?>0[1-9]|1[0-9]|2[0-8]))"
)
_PRODUCT = (
    rb'\{"product_id":"' + _ID + rb'","name":"' + _TEXT_FIELD + rb'","category":"' + _TEXT_FIELD + rb'",'
    rb'"unit_price":'
    + _PRICE
    + rb',"currency":"'
    + _CURRENCY
    + rb'","quantity":'
    + _int_up_to(MAX_QUANTITY)
    + rb"\}"
)
# One canonical line, then (not taken) the newline after it or the end of the text. Groups, in line
# order: `,"service":"..."`; the record from its `{` to occurred_at's opening quote; occurred_at up
# to its milliseconds; its zone (`Z` or an offset); the record from after occurred_at to the end of
# `products`.
_LINE = (
    # The Lambda text prefix `<timestamp>\t<request id>\t<LEVEL>\t`, as parse.py splits it. Only
    # printable ASCII fields, the first starting with a digit (a timestamp), are taken here, so that
    # Lambda's own START/END/REPORT lines are dismissed at their first character; any other prefix
    # goes to the full path, which gives the same outcome.
    rb"(?>[0-9]" + _PREFIX_FIELD + rb"\t" + _PREFIX_FIELD + rb"\t" + _PREFIX_FIELD + rb"\t|)"
    rb'\{"level":'
    + _ANY_STRING
    + rb',"message":"analytics\.request","timestamp":'
    + _ANY_STRING
    + rb'(,"service":"'
    + _TEXT
    + rb'{0,%d}+"),"analytics":' % MAX_TEXT_CHARS
    + rb'(\{"schema_version":'
    + _SCHEMA_VERSION
    + rb',"request_id":"'
    + _ID
    + rb'","session_id":"'
    + _ID
    + rb'","client_id":"'
    + _ID
    + rb'","reseller_id":"'
    + _ID
    + rb'","user_id":"'
    + _ID
    + rb'","occurred_at":")'
    rb"(" + _DATE + rb"T(?>[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}+)"
    rb"((?>Z|[+-](?>[01][0-9]|2[0-3]):[0-5][0-9]))"
    + rb'(","method":"'
    + _METHOD
    + rb'","path":"'
    + _TEXT
    + rb'{1,%d}+","status":[1-5][0-9]{2}+,' % MAX_PATH_CHARS
    + rb'"duration_ms":'
    + _int_up_to(MAX_DURATION_MS)
    + rb',"products":\[(?>'
    + _PRODUCT
    + rb"(?:,"
    + _PRODUCT
    + rb")*+|)\])\}\}"
    rb"(?=\n|\Z)"
)
# The canonical lines of a text: the first line (`match` at 0), then each line after a newline
# (`finditer`: sre looks for the leading newline, then tries the rest only there; the match starts
# at that newline).
CANONICAL_FIRST_LINE = re.compile(_LINE).match
CANONICAL_LINES = re.compile(rb"\n" + _LINE).finditer
Z = b"Z"
MICROS_Z = b"000Z"  # milliseconds -> Contract 1's 6 fraction digits, and the zone


def utc_millis(local: bytes, zone: bytes) -> bytes:
    """`YYYY-MM-DDTHH:MM:SS.mmm` at an offset (both as the regex proved them) -> the same instant in
    UTC in the same format, or b"" (which sorts before any window) when the date would leave years
    1-9999 (the full path refuses those). Integer minutes, not datetimes: this runs for every line
    with an offset."""
    offset = int(zone[1:3]) * 60 + int(zone[4:6])
    minutes = int(local[11:13]) * 60 + int(local[14:16]) + (offset if zone[0] == 45 else -offset)  # 45: '-'
    days, minutes = divmod(minutes, 1440)
    date = local[:10]
    if days:
        date = _next_day(date) if days > 0 else _previous_day(date)
    if not date:
        return b""
    return b"%bT%02d:%02d%b" % (date, minutes // 60, minutes % 60, local[16:])


@cache
def _previous_day(date: bytes) -> bytes:
    return _add_days(date, -1)


@cache
def _next_day(date: bytes) -> bytes:
    return _add_days(date, 1)


def _add_days(date: bytes, days: int) -> bytes:
    try:
        return (dt_date.fromisoformat(date.decode()) + timedelta(days=days)).isoformat().encode()
    except (ValueError, OverflowError):  # year 0000, or past 0001-01-01 / 9999-12-31
        return b""


def window_text(oldest: datetime, newest: datetime) -> tuple[bytes, bytes]:
    """[oldest, newest] as the lowest and highest millisecond text inside it, for comparing with a
    line's `occurred_at`: fixed-width text compares as the times do."""
    below_ms = oldest.microsecond % 1000
    first = oldest + timedelta(microseconds=1000 - below_ms) if below_ms else oldest
    return _millis(first), _millis(newest)


def _millis(value: datetime) -> bytes:
    return value.isoformat(timespec="milliseconds").encode()  # truncates below the millisecond
