"""The regex fast path (canonical.py) must land exactly what the full decode-and-validate path lands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest_lambda.canonical import canonical_record
from ingest_lambda.emit import analytics_line
from ingest_lambda.run import bounds_from
from ingest_lambda.settings import Settings
from ingest_lambda.simulate import Simulator
from ingest_lambda.sources import naive_utc
from ingest_lambda.validate import validate_event
from tests.ingest.conftest import load_event

OLDEST, NEWEST = datetime(2026, 11, 1), datetime(2026, 11, 20, 13)
PREFIX = "2026-11-20T12:00:00.000Z\tc93fa73d-fa9b-074e-8277-8a051d9d1f71\tINFO\t"
BASE = analytics_line(
    request_id="r-1", session_id="s-1", client_id="acme", reseller_id="north-shop", user_id="u-1",
    method="POST", path="/checkout", status=201, duration_ms=42, service="storefront",
    occurred_at=datetime(2026, 11, 20, 11, 59, 58, 123000, tzinfo=UTC),
    products=[
        {"product_id": "p-1", "name": "Blue Mug", "category": "kitchen", "unit_price": 12.5,
         "currency": "GBP", "quantity": 2},
        {"product_id": "p-2", "name": "Tea", "category": "food", "unit_price": 3, "currency": "EUR",
         "quantity": 0},
    ],
)  # fmt: skip
# Edits of the canonical line near each boundary of the pattern: (old text, new text).
EDITS = [
    ("12.5", "12.50"), ("12.5", "140.0"), ("12.5", "0.0"), ("12.5", "1.10"), ("12.5", "1.00"),
    ("12.5", "0.0001"), ("12.5", "0.00001"), ("12.5", "1e2"), ("12.5", "12.3456"),
    ("12.5", "1234567890.1234"), ("12.5", "12345678901.5"), ("12.5", "0"), ("12.5", "-0.5"),
    ("12.5", "012.5"), ("12.5", "12.5e0"), ("12.5", "123456789012345678901234567890"),
    ('"quantity":2', '"quantity":02'), ('"quantity":2', '"quantity":9999999999999999999'),
    ('"quantity":2', '"quantity":99999999999999999999'), ('"status":201', '"status":99'),
    ('"status":201', '"status":600'), ('"status":201', '"status":201.0'),
    ('"duration_ms":42', '"duration_ms":-1'), ('"duration_ms":42', '"duration_ms":1' + "0" * 30),
    ("2026-11-20T11:59:58.123Z", "2026-02-30T11:59:58.123Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T24:00:00.000Z"),
    ("2026-11-20T11:59:58.123Z", "2026-10-31T23:59:59.999Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-01T00:00:00.000Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T13:00:00.000Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T13:00:00.001Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T11:59:58.123+00:00"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T11:59:5\u0668.123Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T17:29:58.123+05:30"),
    ("2026-11-20T11:59:58.123Z", "2026-11-19T23:59:58.123-12:00"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T14:00:00.000+01:00"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T14:00:00.001+01:00"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T11:59:58.123-00:00"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T11:59:58.123+24:00"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T11:59:58.123+05:60"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T11:59:58.123+0530"),
    ("2026-11-20T11:59:58.123Z", "0001-01-01T00:30:00.000+01:00"),
    ('"POST"', '"post"'), ('"POST"', '"P0ST"'), ('"POST"', '"' + "A" * 17 + '"'),
    ("/checkout", "/check out"), ("/checkout", "/caf\u00e9"), ("/checkout", "/a\\/b"),
    ("/checkout", "/a\\u0041"), ("/checkout", "/a\tb"), ("/checkout", ""), ("/checkout", "/" * 2049),
    ("Blue Mug", "B" * 512), ("Blue Mug", "B" * 513), ("Blue Mug", ""), ("Blue Mug", "Blue\u2028Mug"),
    ('"storefront"', '""'), ('"storefront"', '"' + "s" * 513 + '"'), ('"storefront"', "null"),
    ('"GBP"', '"gbp"'), ('"GBP"', '"GBPX"'), ('"r-1"', '"' + "r" * 129 + '"'), ('"r-1"', '"r 1"'),
    ('"acme"', '"ac\\u006de"'), ('"schema_version":1', '"schema_version":2'),
    ('"schema_version":1', '"schema_version":true'), (',"user_id"', ', "user_id"'),
    ('"request_id":"r-1"', '"request_id":"r-1","request_id":"r-2"'), ('"level":"INFO"', '"level":"\\"x"'),
    ('"message":"analytics.request"', '"message":"analytics.requests"'), ("}]}}", "}]},}"),
    ("}]}}", "}]}} "), ("}]}}", "}]}}\n"), ("}]}}", "}]}}x"),
]  # fmt: skip


def full_path(message: str, oldest: datetime = OLDEST, newest: datetime = NEWEST) -> str | None:
    """What the decode-and-validate path lands for a line (None when it does not land)."""
    payload = message.split("\t", 3)[3] if message[0] != "{" and message.count("\t") >= 3 else message
    try:
        obj = json.loads(payload)
    except ValueError:
        return None
    if type(obj) is not dict or obj.get("message") != "analytics.request":
        return None
    ok, value = validate_event(obj, oldest, newest)
    return value if ok else None


def assert_agrees(message: str, oldest: datetime = OLDEST, newest: datetime = NEWEST) -> str | None:
    fast = canonical_record(message, oldest, newest)
    if fast is not None:
        assert fast == full_path(message, oldest, newest), message
    return fast


@pytest.mark.parametrize("message", [BASE, PREFIX + BASE], ids=["bare", "behind the prefix"])
def test_a_line_as_emit_writes_it_takes_the_fast_path_with_the_same_record(message: str) -> None:
    # Given a line exactly as emit.py writes it, bare or behind the Lambda text prefix
    # When the fast path reads it
    record = assert_agrees(message)

    # Then it lands, with the same record as the full path, occurred_at widened to microseconds
    assert record is not None
    assert '"occurred_at":"2026-11-20T11:59:58.123000Z"' in record
    assert record.endswith(',"service":"storefront"')


@pytest.mark.parametrize(("old", "new"), EDITS, ids=[f"{o}->{n}"[:60] for o, n in EDITS])
def test_an_edit_near_a_boundary_is_landed_identically_or_left_to_the_full_path(old: str, new: str) -> None:
    # Given the canonical line with one edit near a boundary of the pattern
    assert old in BASE
    message = BASE.replace(old, new, 1)

    # When the fast path reads it, then it either agrees with the full path or declines
    assert_agrees(message)
    assert_agrees(PREFIX + message)


def test_every_corpus_line_is_landed_identically_or_left_to_the_full_path() -> None:
    # Given every line of the parsing corpus, with its time window
    corpus = load_event("lines.json")
    cases = corpus["cases"]
    lines = [c["line"] for c in cases if isinstance(c.get("line"), str)]
    window = bounds_from(Settings()).window(naive_utc(datetime.fromisoformat(corpus["received"])))

    # When the fast path reads each, then it agrees with the full path or declines
    taken = [line for line in lines if assert_agrees(line, *window) is not None]
    # ... and a line that must not land is never taken by it
    names = {c["line"]: c["expect"] for c in cases if isinstance(c.get("line"), str)}
    assert all(names[line] == "land" for line in taken)


def test_simulated_logs_mostly_take_the_fast_path_and_agree(tmp_path: Path) -> None:
    # Given a day of simulated app logs, with its share of invalid lines
    end = datetime(2026, 11, 20, tzinfo=UTC).date()
    Simulator(7, 1, 300, 3, end).run(tmp_path, progress=False)
    text = "".join(p.read_bytes().decode("utf-8", "surrogateescape") for p in sorted(tmp_path.glob("*.log")))
    lines = [line for line in text.split("\n") if "analytics.request" in line]
    wide = (datetime(2026, 1, 1), datetime(2027, 1, 1))

    # When the fast path reads every analytics line
    taken = sum(1 for line in lines if assert_agrees(line, *wide) is not None)

    # Then most lines took it, and every one it took landed the full path's record
    assert taken > len(lines) / 2
