"""Table-driven parsing and validation over the corpus in tests/events/ingest/lines.json."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from ingest_lambda.run import land_batch
from ingest_lambda.settings import Settings
from ingest_lambda.sources import Batch, Block, naive_utc
from tests.ingest.conftest import MemorySink, load_event

CORPUS = load_event("lines.json")
RECEIVED = datetime.fromisoformat(CORPUS["received"])
RAW_KEYS = [
    "schema_version", "request_id", "session_id", "client_id", "reseller_id", "user_id", "occurred_at",
    "method", "path", "status", "duration_ms", "products", "service", "ingested_at", "log_group",
    "log_stream", "event_id",
]  # fmt: skip
UTC_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def land_lines(lines: list[str | bytes], settings: Settings | None = None) -> tuple[MemorySink, object]:
    """Land messages through the real batch path, as CloudWatch events received at RECEIVED."""
    sink = MemorySink()
    received = naive_utc(RECEIVED)
    batch = Batch(
        source="test",
        stem="t",
        log_group="/aws/lambda/app",
        ingested_at=RECEIVED,
        received=None,
        # Raw bytes reach the parser as local files deliver them: undecoded.
        blocks=[Block.of_events((line, received, "stream-1", f"ev-{i}") for i, line in enumerate(lines))],
    )
    return sink, land_batch(batch, sink, settings or Settings())


def case_line(case: dict) -> str | bytes:
    return bytes.fromhex(case["line_hex"]) if "line_hex" in case else case["line"]


@pytest.mark.parametrize("case", CORPUS["cases"], ids=[c["name"] for c in CORPUS["cases"]])
def test_each_line_lands_skips_or_is_quarantined_with_its_reason(case: dict) -> None:
    # Given one CloudWatch message from the corpus
    line = case_line(case)

    # When it goes through the ingest's batch path
    sink, result = land_lines([line])

    # Then it ends up exactly where the corpus says, and nowhere else
    raw, quarantine = sink.records("raw/"), sink.records("quarantine/")
    assert result.read == 1
    if case["expect"] == "land":
        assert (result.landed, result.skipped, result.quarantined) == (1, 0, 0)
        (record,) = raw
        assert list(record) == RAW_KEYS
        assert UTC_TEXT.fullmatch(record["occurred_at"])
        assert record["ingested_at"] == "2026-11-20T12:00:00.000000Z"
        assert (record["log_group"], record["log_stream"], record["event_id"]) == (
            "/aws/lambda/app", "stream-1", "ev-0",
        )  # fmt: skip
        for key, value in case.get("record", {}).items():
            assert record[key] == value, key
    elif case["expect"] == "skip":
        assert (result.landed, result.skipped, result.quarantined) == (0, 1, 0)
        assert raw == []
        assert quarantine == []
    else:
        assert (result.landed, result.skipped, result.quarantined) == (0, 0, 1)
        (record,) = quarantine
        assert record["reason"] == case["expect"]
        assert list(record) == ["reason", "raw", "log_group", "ingested_at"]
        assert record["log_group"] == "/aws/lambda/app"
        if isinstance(line, str):
            assert record["raw"] == line
        else:
            # Non-UTF-8 bytes are kept readable, the bad bytes escaped.
            assert "\\xe9" in record["raw"]
            assert "analytics.request" in record["raw"]


def test_a_huge_analytics_line_is_quarantined_and_a_huge_other_line_skipped() -> None:
    # Given lines over the size bound, one an analytics line and one not, and one just under it
    settings = Settings(max_line_bytes=1500)
    good = CORPUS["cases"][0]["line"]
    huge = good.replace('"path":"/products/42"', '"path":"/search?q=' + "x" * 2000 + '"')
    just_under = good.replace('"path":"/products/42"', '"path":"/q' + "x" * (1500 - len(good) - 20) + '"')
    huge_multibyte = good.replace(
        '"path":"/products/42"', '"path":"/' + "€" * 600 + '"'
    )  # fewer characters than the bound, more bytes

    # When they are landed
    sink, result = land_lines([huge, "DEBUG " + "y" * 2000, just_under, huge_multibyte], settings)

    # Then the analytics ones over the bound are quarantined, and the bound is counted in bytes
    assert [r["reason"] for r in sink.records("quarantine/")] == ["line_too_large", "line_too_large"]
    assert (result.landed, result.skipped, result.quarantined) == (1, 1, 2)


def test_a_bad_line_never_stops_the_batch() -> None:
    # Given every corpus line in one batch, twice over
    lines = [case_line(c) for c in CORPUS["cases"]] * 2
    expected = [c["expect"] for c in CORPUS["cases"]] * 2

    # When they are landed together
    sink, result = land_lines(lines)

    # Then each line is accounted for exactly once and the good ones all land, in input order
    assert result.read == len(lines)
    assert result.landed == expected.count("land")
    assert result.skipped == expected.count("skip")
    assert result.quarantined == len(lines) - expected.count("land") - expected.count("skip")
    landed_ids = [r["event_id"] for r in sink.records("raw/")]
    assert landed_ids == [f"ev-{i}" for i, e in enumerate(expected) if e == "land"]
    assert sum(result.reasons.values()) == result.quarantined


def test_bounds_follow_the_settings() -> None:
    # Given a line 3 days old and one 30 minutes ahead of when it was received
    old = CORPUS["cases"][0]["line"].replace("2026-11-20T11:58:01.250Z", "2026-11-17T12:00:00.000Z")
    ahead = CORPUS["cases"][0]["line"].replace("2026-11-20T11:58:01.250Z", "2026-11-20T12:30:00.000Z")

    # When the bounds are tightened to 2 days and 10 minutes
    sink, result = land_lines([old, ahead], Settings(max_event_age_days=2, max_future_minutes=10))

    # Then both are out of bounds
    assert [r["reason"] for r in sink.records("quarantine/")] == ["too_old", "too_far_in_future"]
    assert result.landed == 0


def test_landed_records_are_valid_json_with_escaping_round_tripped() -> None:
    # Given lines with quotes, backslashes, non-ASCII and unicode escapes in free text
    lines = [c["line"] for c in CORPUS["cases"] if c["expect"] == "land"]

    # When landed
    sink, _ = land_lines(lines)

    # Then each record decodes to exactly the values of the input line
    for line, record in zip(lines, sink.records("raw/"), strict=True):
        source = json.loads(line.split("\t", 3)[-1])
        assert record["path"] == source["analytics"]["path"]
        assert record["request_id"] == source["analytics"]["request_id"]
        assert record["service"] == source.get("service", "")
        assert datetime.fromisoformat(record["occurred_at"]) == datetime.fromisoformat(
            source["analytics"]["occurred_at"]
        ).astimezone(UTC)


def test_absurdly_deep_json_is_quarantined_not_a_crash() -> None:
    # Given an analytics line nested 100 000 levels deep (under the size bound)
    deep = '{"message":"analytics.request","x":' + "[" * 100_000 + "]" * 100_000 + "}"

    # When it is landed, Then it is quarantined as invalid JSON and the batch goes on
    sink, result = land_lines([deep, CORPUS["cases"][0]["line"]])
    assert [r["reason"] for r in sink.records("quarantine/")] == ["invalid_json"]
    assert result.landed == 1
