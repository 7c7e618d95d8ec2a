"""The regex fast path (canonical.py, inside run.land_batch) must land exactly what the reference
path (parse.parse_message: a JSON decode, then validation) lands, and quarantine or skip the rest
with the reference's reason: whichever path a line takes, the outcome is the reference's."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ingest_lambda.canonical import FAST_PRICE_DIGITS, utc_millis, window_text
from ingest_lambda.contract import (
    CURRENCIES,
    MAX_DURATION_MS,
    MAX_ID_CHARS,
    MAX_METHOD_CHARS,
    MAX_PATH_CHARS,
    MAX_QUANTITY,
    MAX_STATUS,
    MAX_TEXT_CHARS,
    MAX_UNIT_PRICE,
    MIN_STATUS,
)
from ingest_lambda.emit import analytics_line
from ingest_lambda.parse import LAND, QUARANTINE, parse_message
from ingest_lambda.run import BatchResult, bounds_from, land_batch
from ingest_lambda.settings import Settings
from ingest_lambda.simulate import Simulator
from ingest_lambda.sources import Batch, Block, naive_utc
from ingest_lambda.validate import parse_occurred_at
from tests.ingest.conftest import MemorySink, load_event

RECEIVED = datetime(2026, 11, 20, 12, 0)  # the window is [2026-11-06T12:00, 2026-11-20T13:00]
INGESTED = RECEIVED.replace(tzinfo=UTC)
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
    ("12.5", "0.0001"), ("12.5", "0.00001"), ("12.5", "1e2"), ("12.5", "12.3456"), ("12.5", "0.05"),
    ("12.5", "1234567890.1234"), ("12.5", "12345678901.5"), ("12.5", "0"), ("12.5", "-0.5"),
    ("12.5", "012.5"), ("12.5", "12.5e0"), ("12.5", "123456789012345678901234567890"), ("12.5", "1."),
    ('"quantity":2', '"quantity":02'), ('"quantity":2', '"quantity":9999999999999999999'),
    ('"quantity":2', '"quantity":99999999999999999999'), ('"status":201', '"status":99'),
    ('"status":201', '"status":600'), ('"status":201', '"status":201.0'),
    ('"duration_ms":42', '"duration_ms":-1'), ('"duration_ms":42', '"duration_ms":1' + "0" * 30),
    ("2026-11-20T11:59:58.123Z", "2026-02-30T11:59:58.123Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-31T11:59:58.123Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T24:00:00.000Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T23:60:00.000Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-20T23:00:60.000Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-06T11:59:59.999Z"),
    ("2026-11-20T11:59:58.123Z", "2026-11-06T12:00:00.000Z"),
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
    ("2026-11-20T11:59:58.123Z", "2026-11-20T11:59:58.12Z"),
    ('"POST"', '"post"'), ('"POST"', '"P0ST"'), ('"POST"', '"' + "A" * 17 + '"'),
    ("/checkout", "/check out"), ("/checkout", "/caf\u00e9"), ("/checkout", "/a\\/b"),
    ("/checkout", "/a\\u0041"), ("/checkout", "/a\tb"), ("/checkout", ""), ("/checkout", "/" * 2049),
    ("/checkout", "/a\x7fb"), ("/checkout", "/a]b"),
    ("Blue Mug", "B" * 512), ("Blue Mug", "B" * 513), ("Blue Mug", ""), ("Blue Mug", "Blue\u2028Mug"),
    ('"storefront"', '""'), ('"storefront"', '"' + "s" * 513 + '"'), ('"storefront"', "null"),
    ('"GBP"', '"gbp"'), ('"GBP"', '"GBPX"'), ('"r-1"', '"' + "r" * 129 + '"'), ('"r-1"', '"r 1"'),
    ('"r-1"', '"' + "r" * 128 + '"'), ('"acme"', '"ac\\u006de"'),
    ('"schema_version":1', '"schema_version":2'), ('"schema_version":1', '"schema_version":true'),
    (',"user_id"', ', "user_id"'),
    ('"request_id":"r-1"', '"request_id":"r-1","request_id":"r-2"'), ('"level":"INFO"', '"level":"\\"x"'),
    ('"level":"INFO"', '"level":"\x7f"'), ('"level":"INFO"', '"level":"caf\u00e9"'),
    ('"message":"analytics.request"', '"message":"analytics.requests"'), ("}]}}", "}]},}"),
    ("}]}}", "}]}} "), ("}]}}", "}]}}\n"), ("}]}}", "}]}}x"),
]  # fmt: skip
TAIL = (
    ',"ingested_at":"2026-11-20T12:00:00.000000Z","log_group":"/aws/lambda/app",'
    '"log_stream":"stream-1","event_id":"ev-{i}"}}'
)


def reference(message: str | bytes, i: int = 0, settings: Settings | None = None) -> tuple[str, str]:
    """What the reference path does with one message: ("land", the landed line), ("quarantine",
    reason) or ("skip", "")."""
    settings = settings or Settings()
    oldest, newest = bounds_from(settings).window(RECEIVED)
    kind, value = parse_message(message, oldest, newest, settings.max_line_bytes)
    if kind == LAND:
        return "land", value + TAIL.format(i=i)
    return ("quarantine", value) if kind == QUARANTINE else ("skip", "")


def through_batch(
    messages: list[str | bytes], settings: Settings | None = None
) -> tuple[list[tuple[str, str]], BatchResult]:
    """Land messages through run.land_batch as one CloudWatch page received at RECEIVED; the
    outcome of each, in the same form as `reference`."""
    sink = MemorySink()
    events = [(m, RECEIVED, "stream-1", f"ev-{i}") for i, m in enumerate(messages)]
    batch = Batch("test", "t", "/aws/lambda/app", INGESTED, None, [Block.of_events(events)])
    result = land_batch(batch, sink, settings or Settings())
    landed = {
        json.loads(line)["event_id"]: line.decode()
        for key in sink.data_keys("raw/")
        for line in gzip.decompress(sink.objects[key]).split(b"\n")
        if line
    }
    quarantined = iter(sink.records("quarantine/"))
    outcomes = []
    for i, message in enumerate(messages):
        if f"ev-{i}" in landed:
            outcomes.append(("land", landed[f"ev-{i}"]))
        elif reference(message, i, settings)[0] == "quarantine":
            outcomes.append(("quarantine", next(quarantined)["reason"]))
        else:
            outcomes.append(("skip", ""))
    assert next(quarantined, None) is None
    return outcomes, result


def assert_agrees(messages: list[str | bytes], settings: Settings | None = None) -> int:
    """Every message has the reference's outcome; returns how many the fast path landed."""
    outcomes, result = through_batch(messages, settings)
    assert outcomes == [reference(m, i, settings) for i, m in enumerate(messages)]
    assert result.landed + result.quarantined + result.skipped == len(messages)
    return result.fast


@pytest.mark.parametrize("message", [BASE, PREFIX + BASE], ids=["bare", "behind the prefix"])
def test_a_line_as_emit_writes_it_takes_the_fast_path_with_the_same_record(message: str) -> None:
    # Given a line exactly as emit.py writes it, bare or behind the Lambda text prefix
    # When it is landed
    fast = assert_agrees([message])

    # Then the fast path took it, with the reference's record, occurred_at widened to microseconds
    assert fast == 1
    (outcome,) = through_batch([message])[0]
    assert '"occurred_at":"2026-11-20T11:59:58.123000Z"' in outcome[1]
    assert ',"service":"storefront","ingested_at"' in outcome[1]


@pytest.mark.parametrize(("old", "new"), EDITS, ids=[f"{o}->{n}"[:60] for o, n in EDITS])
def test_an_edit_near_a_boundary_has_the_reference_outcome(old: str, new: str) -> None:
    # Given the canonical line with one edit near a boundary of the pattern
    assert old in BASE
    message = BASE.replace(old, new, 1)

    # When it is landed, bare and behind the prefix, Then the outcome is the reference's
    assert_agrees([message, PREFIX + message])


def test_the_fast_path_takes_the_edits_that_stay_canonical() -> None:
    # Given edits that keep the exact shape emit.py writes (an offset, a leap day, the bounds)
    kept = [
        BASE.replace("2026-11-20T11:59:58.123Z", "2026-11-20T17:29:58.123+05:30"),
        BASE.replace("2026-11-20T11:59:58.123Z", "2026-11-06T12:00:00.000Z"),
        BASE.replace("2026-11-20T11:59:58.123Z", "2026-11-20T13:00:00.000Z"),
        BASE.replace("12.5", "99999999.9999"),
        BASE.replace('"r-1"', '"' + "r" * 128 + '"'),
    ]
    # When landed, Then every one of them took the fast path and agreed with the reference
    assert assert_agrees(kept) == len(kept)
    # And a February 29th is left to the reference path, which knows leap years
    leap = BASE.replace("2026-11-20T11:59:58.123Z", "2028-02-29T12:00:00.000Z")
    wide = Settings(max_event_age_days=1000, max_future_minutes=60 * 24 * 1000)
    assert assert_agrees([leap, leap.replace("2028-02-29", "2027-02-29")], wide) == 0


def test_every_corpus_line_has_the_reference_outcome() -> None:
    # Given every line of the parsing corpus
    corpus = load_event("lines.json")
    received = naive_utc(datetime.fromisoformat(corpus["received"]))
    assert received == RECEIVED
    lines = [bytes.fromhex(c["line_hex"]) if "line_hex" in c else c["line"] for c in corpus["cases"]]

    # When they are landed together, Then each has the reference's outcome, and the fast path took
    # only lines the corpus expects to land
    fast = assert_agrees(lines)
    assert 0 < fast <= sum(c["expect"] == "land" for c in corpus["cases"])


def test_too_large_lines_are_never_taken_by_the_fast_path() -> None:
    # Given canonical lines just under and just over a tight size bound
    settings = Settings(max_line_bytes=len(BASE))
    shorter = BASE.replace("/checkout", "/checkou")

    # When landed, Then the one over the bound is quarantined as the reference does
    outcomes, result = through_batch([shorter, BASE, PREFIX + BASE], settings)
    assert outcomes[2] == ("quarantine", "line_too_large")
    assert [o[0] for o in outcomes[:2]] == ["land", "land"]
    assert result.fast == 2
    assert_agrees([shorter, BASE, PREFIX + BASE], settings)


def test_a_page_received_over_hours_judges_each_event_by_its_own_window() -> None:
    # Given a CloudWatch page whose events were received 3 hours apart, each timestamped 2 hours
    # after the first arrival (inside the later event's window, outside the earlier one's)
    early, late = RECEIVED - timedelta(hours=3), RECEIVED
    line = BASE.replace("2026-11-20T11:59:58.123Z", "2026-11-20T11:00:00.000Z")
    sink = MemorySink()
    block = Block.of_events([(line, early, "s", "a"), (line, late, "s", "b")])
    batch = Batch("test", "t", "g", INGESTED, None, [block])

    # When landed
    result = land_batch(batch, sink, Settings())

    # Then the early one is too far in the future for its own arrival, the late one lands
    assert [r["reason"] for r in sink.records("quarantine/")] == ["too_far_in_future"]
    assert [r["event_id"] for r in sink.records("raw/")] == ["b"]
    assert result.landed == 1


def test_simulated_logs_mostly_take_the_fast_path_and_agree(tmp_path: Path) -> None:
    # Given a day of simulated app logs, with its share of invalid lines, as one file's block
    end = date(2026, 11, 20)
    Simulator(7, 1, 300, 3, end).run(tmp_path, progress=False)
    (path,) = sorted(tmp_path.glob("*.log"))
    content = path.read_bytes()
    wide = Settings(max_event_age_days=365, max_future_minutes=60 * 24 * 365)

    # When the file is landed as the local source lands it
    sink = MemorySink()
    batch = Batch("file", "t", "/aws/lambda/app", INGESTED, None, [Block.of_file("f", content)])
    result = land_batch(batch, sink, wide)

    # Then every analytics line has the reference's outcome, and most took the fast path
    lines = content.split(b"\n")
    landed = sink.records("raw/")
    expected, reasons = [], []
    for number, line in enumerate(lines, 1):
        outcome, value = reference(line, number, wide)
        if outcome == "land":
            expected.append({**json.loads(value), "log_stream": "f", "event_id": f"f:{number}"})
        elif outcome == "quarantine":
            reasons.append(value)
    assert landed == expected
    assert [r["reason"] for r in sink.records("quarantine/")] == reasons
    assert result.skipped == sum(1 for line in lines if line) - len(expected) - len(reasons)
    assert result.fast > 0.9 * len(expected)


@pytest.mark.parametrize("seed", range(5))
def test_offsets_convert_to_the_reference_instant(seed: int) -> None:
    # Given random local times with random ISO-8601 offsets, around day, month and year ends
    rng = random.Random(seed)
    for _ in range(400):
        day = rng.choice([date(2026, 12, 31), date(2024, 2, 28), date(2026, 3, 1), date(1, 1, 1),
                          date(9999, 12, 31), date(2026, 11, 20)])  # fmt: skip
        local = datetime.combine(day, datetime.min.time()) + timedelta(
            minutes=rng.choice([0, 1, 59, 60 * 12, 60 * 23 + 59, rng.randrange(1440)]),
            milliseconds=rng.randrange(60_000),
        )
        hours, minutes = rng.randrange(24), rng.choice([0, 30, 45, 59])
        zone = f"{rng.choice('+-')}{hours:02d}:{minutes:02d}"
        text = local.isoformat(timespec="milliseconds")

        # When both paths convert it
        fast = utc_millis(text.encode(), zone.encode())
        slow = parse_occurred_at(text + zone)

        # Then they give the same instant, or both refuse it
        if isinstance(slow, str):
            assert fast == b"", text + zone
        else:
            assert fast == slow.isoformat(timespec="milliseconds").encode(), text + zone


def test_window_text_keeps_exactly_the_milliseconds_inside_the_window() -> None:
    # Given a window whose ends fall between milliseconds
    oldest, newest = datetime(2026, 11, 6, 12, 0, 0, 1500), datetime(2026, 11, 20, 13, 0, 0, 999)

    # When it is turned into text bounds, Then the first millisecond inside and the last are the ends
    assert window_text(oldest, newest) == (b"2026-11-06T12:00:00.002", b"2026-11-20T13:00:00.000")
    assert window_text(oldest.replace(microsecond=2000), newest)[0] == b"2026-11-06T12:00:00.002"


def land_file(content: bytes, settings: Settings | None = None) -> tuple[MemorySink, BatchResult]:
    sink = MemorySink()
    batch = Batch("file", "t", "file:f.log", INGESTED, None, [Block.of_file("f.log", content)])
    return sink, land_batch(batch, sink, settings or Settings())


@pytest.mark.parametrize(
    ("layout", "numbers", "read"),
    [
        (["B", "B"], [1, 2], 2),
        (["B", "B", ""], [1, 2], 2),  # a file that ends with a newline
        (["", "B", "", "", "S", "B", "Q", "B"], [2, 6, 8], 8),
        (["S", "P", "B", "N", "N", "B", "X", ""], [2, 3, 6, 7], 7),
        (["Q", "S", ""], [], 2),
        ([""], [], 0),
    ],
    ids=["two", "newline at the end", "blank lines", "mixed", "nothing canonical", "empty"],
)
def test_a_files_lines_keep_their_numbers_and_every_line_is_counted(
    layout: list[str], numbers: list[int], read: int
) -> None:
    # Given a file of canonical lines (B), prefixed ones (P), one with a non-ASCII path (X, for the
    # reference path), other logs (S), an analytics line to quarantine (Q), a line mentioning the
    # marker that is not one (N) and blank lines, joined by newlines
    lines = {
        "B": BASE, "P": PREFIX + BASE, "X": BASE.replace("/checkout", "/café"), "S": "START RequestId: x",
        "Q": BASE.replace('"status":201', '"status":"201"'), "N": '{"message":"analytics.flush"}', "": "",
    }  # fmt: skip
    content = "\n".join(lines[k] for k in layout).encode()

    # When it is landed
    sink, result = land_file(content)

    # Then each landed record names its own line, and lines are counted as read but a last empty one
    assert [r["event_id"] for r in sink.records("raw/")] == [f"f.log:{n}" for n in numbers]
    assert result.read == read
    assert result.quarantined == layout.count("Q")
    assert result.fast == sum(1 for k in layout if k in "BP" and k)
    assert result.landed + result.quarantined + result.skipped == result.read


def test_a_too_large_first_line_is_quarantined() -> None:
    # Given a file whose first (canonical) line is one byte over the size bound, then a good line
    settings = Settings(max_line_bytes=len(BASE) - 1)
    content = f"{BASE}\n{BASE.replace('/checkout', '/c')}\n".encode()

    # When it is landed, Then the first is quarantined as too large and the second lands
    sink, result = land_file(content, settings)
    assert [r["reason"] for r in sink.records("quarantine/")] == ["line_too_large"]
    assert [r["event_id"] for r in sink.records("raw/")] == ["f.log:2"]
    assert (result.read, result.fast) == (2, 1)


def test_a_cloudwatch_message_holding_a_newline_is_judged_whole() -> None:
    # Given a page whose second message is a canonical line behind a first line of other text, and
    # whose third is canonical but ends with the newline CloudWatch keeps
    messages = [BASE, "note\n" + BASE, BASE + "\n", BASE]

    # When landed, Then the one with text before its JSON is invalid JSON, as a whole message is,
    # and every other lands under its own event id
    outcomes, result = through_batch(messages)
    assert [o[0] for o in outcomes] == ["land", "quarantine", "land", "land"]
    assert outcomes[1][1] == "invalid_json"
    assert_agrees(messages)
    assert result.read == 4


# Property-based: lines of the canonical shape whose every bounded field is drawn at, just inside
# and just outside its bound in contract.py, and in the forms JSON allows that the regex must refuse
# (leading zeros, exponents, escapes, non-ASCII). Whatever is drawn, both paths must agree.
def _near(*bounds: int) -> st.SearchStrategy[int]:
    return st.sampled_from(sorted({b + d for b in bounds for d in (-1, 0, 1)}))


_SOME = st.integers(0, 2)


def _number_text(values: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """An integer as JSON text, sometimes in a form that is not canonical (or not an integer)."""
    return st.one_of(
        values.map(str),
        values.map(str),
        values.map(str),
        values.map(lambda n: f"0{n}"),
        values.map(lambda n: f"{n}.0"),
        values.map(lambda n: f"{n}e0"),
    )


_INTEGERS = st.integers(-(2**65), 2**65)
_DURATIONS = _number_text(
    st.one_of(_near(MAX_DURATION_MS), _near(0, 2**63), _INTEGERS, st.integers(0, 10**9))
)
_QUANTITIES = _number_text(
    st.one_of(_near(MAX_QUANTITY), _near(0, 2**63), _INTEGERS, st.integers(0, 2 * MAX_QUANTITY))
)
_STATUSES = _number_text(st.one_of(_near(MIN_STATUS, MAX_STATUS), st.integers(0, 1000)))
_VERSIONS = st.one_of(_number_text(_near(1)), st.just("true"))


@st.composite
def _prices(draw: st.DrawFn) -> str:
    """A price as JSON text: integer digits up to and past both the fast path's and the contract's
    bound, 0-6 fraction digits (trailing zeros too), sometimes an exponent or a sign."""
    whole = draw(
        st.one_of(
            _near(0, 10**FAST_PRICE_DIGITS, MAX_UNIT_PRICE),
            st.integers(0, 10**12),
            st.integers(0, 1000),
        )
    )
    fraction = draw(st.text("0123456789", max_size=6))
    if whole in (10**FAST_PRICE_DIGITS - 1, MAX_UNIT_PRICE - 1) and draw(st.booleans()):
        fraction = "9999"  # the largest price of each bound
    text = f"{whole}.{fraction}" if fraction else str(whole)
    return draw(st.sampled_from([text, text, text, f"-{text}", f"{text}e0", f"0{text}"]))


_TCHARS = "!#$%&'*+-.^_`|~09AZaz"
_METHODS = st.one_of(
    st.sampled_from(
        ["GET", "PURGE", "M-SEARCH", "propfind", "A" * MAX_METHOD_CHARS, "A" * (MAX_METHOD_CHARS + 1)]
    ),
    st.text(_TCHARS + ' /"\\é', min_size=0, max_size=MAX_METHOD_CHARS + 2),
)
_CURRENCY_CODES = st.one_of(
    st.sampled_from(sorted(CURRENCIES)),
    st.sampled_from(["XXX", "XTS", "XXY", "gbp", "GB", "GBPX", "ÉUR"]),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
)


def _sized(limit: int) -> st.SearchStrategy[str]:
    """Text of a length at or around `limit` (or short), of one repeated character, sometimes one
    the regex refuses (non-ASCII, escaped or not printable)."""
    lengths = st.one_of(_near(0, limit), st.integers(1, 20))
    return st.builds(
        lambda n, c: c * n, lengths, st.sampled_from(["a", "a", "Z", "é", '"', "\u2028", "\x7f"])
    )


@st.composite
def _lines(draw: st.DrawFn) -> str:
    """The canonical line with one to three of its bounded fields drawn from the wide strategies
    (a line with every field off would only ever show the first check's reason)."""

    def string(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    def product() -> str:
        return (
            f'{{"product_id":{string(draw(_sized(MAX_ID_CHARS)).replace("é", "e"))},'
            f'"name":{string(draw(_sized(MAX_TEXT_CHARS)))},"category":"kitchen",'
            f'"unit_price":{draw(_prices())},"currency":{string(draw(_CURRENCY_CODES))},'
            f'"quantity":{draw(_QUANTITIES)}}}'
        )

    fields = {
        '"schema_version":1': lambda: f'"schema_version":{draw(_VERSIONS)}',
        '"request_id":"r-1"': lambda: f'"request_id":{string(draw(_sized(MAX_ID_CHARS)))}',
        '"service":"storefront"': lambda: f'"service":{string(draw(_sized(MAX_TEXT_CHARS)))}',
        '"method":"POST"': lambda: f'"method":{string(draw(_METHODS))}',
        '"path":"/checkout"': lambda: f'"path":{string("/" + draw(_sized(MAX_PATH_CHARS - 1)))}',
        '"status":201': lambda: f'"status":{draw(_STATUSES)}',
        '"duration_ms":42': lambda: f'"duration_ms":{draw(_DURATIONS)}',
        '"unit_price":12.5': lambda: f'"unit_price":{draw(_prices())}',
        '"currency":"GBP"': lambda: f'"currency":{string(draw(_CURRENCY_CODES))}',
        '"quantity":2': lambda: f'"quantity":{draw(_QUANTITIES)}',
        '"unit_price":12.5,"currency":"GBP","quantity":2': lambda: (
            f'"unit_price":{draw(_prices())},"currency":"GBP","quantity":{draw(_QUANTITIES)}'
        ),
        '"products":[': lambda: '"products":[' + "".join(f"{product()}," for _ in range(draw(_SOME))),
    }
    line = BASE
    for old in draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)):
        line = line.replace(old, fields[old](), 1)
    return line


# Each bound of contract.py, just inside and just outside, as an edit of the canonical line.
_LARGEST_FAST_PRICE = f"{10**FAST_PRICE_DIGITS - 1}.9999"
_LARGEST_PRICE = f"{MAX_UNIT_PRICE - 1}.9999"
_LINE_END = '12.5,"currency":"GBP","quantity":2'
BOUND_EDITS = [
    *[('"duration_ms":42', f'"duration_ms":{n}') for n in (MAX_DURATION_MS, MAX_DURATION_MS + 1, 2**63)],
    *[('"quantity":2', f'"quantity":{n}') for n in (MAX_QUANTITY, MAX_QUANTITY + 1, 2**63)],
    *[('"status":201', f'"status":{n}') for n in (MIN_STATUS - 1, MIN_STATUS, MAX_STATUS, MAX_STATUS + 1)],
    *[("12.5", p) for p in (_LARGEST_FAST_PRICE, _LARGEST_PRICE, str(MAX_UNIT_PRICE))],
    ("12.5", str(10**FAST_PRICE_DIGITS)),
    ("12.5", "1.00001"),
    (_LINE_END, f'{_LARGEST_FAST_PRICE},"currency":"GBP","quantity":{MAX_QUANTITY}'),
    (_LINE_END, f'{_LARGEST_PRICE},"currency":"GBP","quantity":{MAX_QUANTITY}'),
    (_LINE_END, '100000,"currency":"GBP","quantity":999999999'),
    *[('"POST"', f'"{m}"') for m in ("A" * MAX_METHOD_CHARS, "PURGE", "M-SEARCH", "post")],
    ('"POST"', f'"{"B" * (MAX_METHOD_CHARS + 1)}"'),
    *[('"GBP"', f'"{c}"') for c in (min(CURRENCIES), max(CURRENCIES), "XXX", "XTS", "XXY")],
    *[('"r-1"', f'"{"r" * n}"') for n in (MAX_ID_CHARS, MAX_ID_CHARS + 1)],
    *[("Blue Mug", "B" * n) for n in (MAX_TEXT_CHARS, MAX_TEXT_CHARS + 1)],
    *[("/checkout", "/" * n) for n in (MAX_PATH_CHARS, MAX_PATH_CHARS + 1)],
]  # fmt: skip


@pytest.mark.parametrize(("old", "new"), BOUND_EDITS, ids=[f"{o}->{n}"[:60] for o, n in BOUND_EDITS])
def test_each_bound_of_the_contract_has_the_reference_outcome(old: str, new: str) -> None:
    # Given the canonical line with one value at, just inside or just outside a bound of contract.py
    message = BASE.replace(old, new, 1)

    # When it is landed, bare and behind the prefix, Then the outcome is the reference's
    assert_agrees([message, PREFIX + message])


@given(_lines())
@hypothesis_settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_lines_at_and_around_every_bound_have_the_reference_outcome(line: str) -> None:
    # Given a line with every bounded field drawn at, inside or outside its bound
    # When it is landed, bare and behind the prefix, Then the outcome is the reference's
    assert_agrees([line, PREFIX + line])


@given(
    st.integers(0, MAX_DURATION_MS),
    st.integers(0, MAX_QUANTITY),
    st.integers(0, 10**FAST_PRICE_DIGITS - 1),
    st.integers(0, 9999),
    st.sampled_from(sorted(CURRENCIES)),
    st.text(_TCHARS.replace("az", ""), min_size=1, max_size=MAX_METHOD_CHARS),
)
@hypothesis_settings(max_examples=200, deadline=None)
def test_every_valid_value_of_the_fast_paths_range_takes_it(
    duration: int, quantity: int, whole: int, fraction: int, currency: str, method: str
) -> None:
    # Given a canonical line whose values are anywhere in the fast path's range, up to its bounds
    price = f"{whole}.{fraction:04d}".rstrip("0").rstrip(".") if fraction else str(whole)
    line = (
        BASE.replace('"duration_ms":42', f'"duration_ms":{duration}')
        .replace('"quantity":2', f'"quantity":{quantity}')
        .replace('"unit_price":12.5', f'"unit_price":{price}')
        .replace('"GBP"', f'"{currency}"')
        .replace('"POST"', json.dumps(method))
    )

    # When it is landed, Then the fast path took it, with the reference's record
    assert assert_agrees([line]) == 1
