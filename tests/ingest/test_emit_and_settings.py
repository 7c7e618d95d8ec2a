"""The emitting helper's lines pass the ingest; settings come from the environment as documented."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ingest_lambda.emit import analytics_line, emit_request
from ingest_lambda.parse import LAND, parse_message
from ingest_lambda.settings import DEFAULT_FILTER_PATTERN, Settings, SettingsError

WHEN = datetime(2026, 11, 20, 17, 28, 9, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30)))
FIELDS = {
    "request_id": "0b6f6c1e-1",
    "session_id": "9c2d",
    "client_id": "acme",
    "reseller_id": "north-shop",
    "user_id": "u-1842",
    "method": "get",
    "path": '/search?q="mug"',
    "status": 200,
    "duration_ms": 42,
    "products": [
        {
            "product_id": "p-42",
            "name": "Café Mug",
            "category": "kitchen",
            "unit_price": 12.5,
            "currency": "GBP",
        }
    ],
    "occurred_at": WHEN,
    "service": "storefront",
}
OLDEST, NEWEST = datetime(2026, 11, 1), datetime(2026, 12, 1)


def test_an_emitted_line_is_landed_by_the_ingest_unchanged() -> None:
    # Given a line printed by the helper, as the app would
    out = io.StringIO()
    line = emit_request(stream=out, **FIELDS)

    # When the ingest parses it, bare and behind the Lambda text prefix
    results = [
        parse_message(m, OLDEST, NEWEST, 262_144)
        for m in (out.getvalue(), f"2026-11-20T11:58:09.500Z\tabc-123\tINFO\t{line}\n")
    ]

    # Then both land, with the values the app passed in (time in UTC, method upper-case)
    assert out.getvalue() == line + "\n"
    for kind, head in results:
        assert kind == LAND
        record = json.loads(head + "}")
        assert record["occurred_at"] == "2026-11-20T11:58:09.500000Z"
        assert record["method"] == "GET"
        assert record["path"] == '/search?q="mug"'
        assert record["products"][0]["quantity"] == 1
        assert record["products"][0]["name"] == "Café Mug"
        assert record["service"] == "storefront"


def test_occurred_at_defaults_to_now_in_utc() -> None:
    # Given no occurred_at
    fields = {k: v for k, v in FIELDS.items() if k != "occurred_at"}

    # When a line is built
    before = datetime.now(UTC)
    line = json.loads(analytics_line(**fields))

    # Then its time is now, in UTC with a Z
    occurred = datetime.fromisoformat(line["analytics"]["occurred_at"])
    assert line["analytics"]["occurred_at"].endswith("Z")
    assert before - timedelta(seconds=1) <= occurred <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"request_id": "has space"}, "request_id"),
        ({"user_id": ""}, "user_id"),
        ({"client_id": None}, "client_id"),
        ({"occurred_at": datetime(2026, 11, 20, 12)}, "timezone-aware"),
        ({"status": 700}, "status"),
        ({"status": True}, "status"),
        ({"duration_ms": -1}, "duration_ms"),
        ({"duration_ms": 1.5}, "duration_ms"),
        ({"method": "G3T"}, "method"),
        ({"path": ""}, "path"),
        ({"path": "/a\nb"}, "path"),
        ({"products": [{**FIELDS["products"][0], "currency": "gbp"}]}, "products[0].currency"),
        ({"products": [{**FIELDS["products"][0], "unit_price": float("nan")}]}, "products[0].unit_price"),
        ({"products": [{**FIELDS["products"][0], "quantity": -1}]}, "products[0].quantity"),
        ({"products": [{**FIELDS["products"][0], "product_id": "p/1"}]}, "products[0].product_id"),
    ],
)
def test_the_helper_rejects_what_the_ingest_would_quarantine(change: dict, message: str) -> None:
    # When the app passes a value that breaks Contract 1, Then it fails at the call site, naming the field
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        analytics_line(**{**FIELDS, **change})


def test_the_helper_imports_nothing_outside_the_standard_library() -> None:
    # Given the helper's source, Then it imports only standard-library modules (adopters copy the file)
    import ast
    import sys
    from pathlib import Path

    import ingest_lambda.emit as emit

    tree = ast.parse(Path(emit.__file__).read_text())
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m.split(".")[0] for m in modules} <= sys.stdlib_module_names | {"__future__"}


def test_defaults_are_the_documented_ones() -> None:
    # Given an empty environment, Then every setting has the default of docs/contracts.md section 2
    s = Settings.from_env({})
    assert s.lake_root == "data/lake"
    assert s.lake_bucket is None
    assert s.log_group_names == ()
    assert s.filter_pattern == DEFAULT_FILTER_PATTERN == '{ $.message = "analytics.request" }'
    assert (s.overlap_minutes, s.settle_lag_minutes, s.max_window_minutes) == (15, 2, 360)
    assert (s.max_event_age_days, s.max_future_minutes) == (14, 60)
    assert (s.max_line_bytes, s.part_max_bytes) == (262_144, 67_108_864)
    assert s.initial_lookback_minutes == 60
    assert s.cloudwatch_max_tps == 5.0


def test_settings_are_read_from_the_environment() -> None:
    env = {
        "LAKE_BUCKET": "my-lake",
        "LOG_GROUP_NAMES": " /aws/lambda/a , /aws/lambda/b ,",
        "OVERLAP_MINUTES": "20",
        "MAX_WINDOW_MINUTES": "120",
        "PART_MAX_BYTES": "1048576",
    }
    s = Settings.from_env(env)
    assert s.lake_bucket == "my-lake"
    assert s.log_group_names == ("/aws/lambda/a", "/aws/lambda/b")
    assert (s.overlap_minutes, s.max_window_minutes, s.part_max_bytes) == (20, 120, 1_048_576)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OVERLAP_MINUTES": "ten"}, "OVERLAP_MINUTES must be an integer"),
        ({"SETTLE_LAG_MINUTES": "-1"}, "SETTLE_LAG_MINUTES must be >= 0"),
        ({"MAX_WINDOW_MINUTES": "10"}, "must be greater than OVERLAP_MINUTES"),
        ({"CLOUDWATCH_MAX_TPS": "0"}, "CLOUDWATCH_MAX_TPS must be > 0"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(env: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
