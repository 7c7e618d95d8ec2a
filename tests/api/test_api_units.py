"""Pure modules: periods, scope resolution, principals and cursors (no warehouse needed)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from api_lambda.cursor import CursorCodec
from api_lambda.errors import ApiError
from api_lambda.periods import resolve_range, whole_periods
from api_lambda.scope import InvalidPrincipal, Scope, breakdown_level, principal_from_mapping, resolve_scope


@pytest.mark.parametrize(
    ("grain", "start", "end", "widened", "periods"),
    [
        ("hour", "2026-11-20", "2026-11-20", ("2026-11-20", "2026-11-20"), 24),
        ("day", "2024-02-28", "2024-03-01", ("2024-02-28", "2024-03-01"), 3),
        ("week", "2026-12-30", "2027-01-02", ("2026-12-28", "2027-01-03"), 1),
        ("month", "2026-12-15", "2027-02-10", ("2026-12-01", "2027-02-28"), 3),
        ("month", "2024-02-29", "2024-02-29", ("2024-02-01", "2024-02-29"), 1),
    ],
)
def test_ranges_widen_to_whole_periods(grain, start, end, widened, periods):
    # When a range is resolved for a grain
    result = resolve_range(start, end, grain)
    # Then it covers whole periods and yields one start per period
    assert (str(result.start), str(result.end)) == widened
    starts = result.period_starts()
    assert len(starts) == periods
    assert starts[0] == datetime.fromisoformat(widened[0])


@pytest.mark.parametrize(
    ("grain", "days", "ok"),
    [("hour", 31, True), ("hour", 32, False), ("day", 731, True), ("day", 732, False), ("month", 1827, True)],
)
def test_span_limits_per_grain(grain, days, ok):
    start = date(2020, 1, 1)
    end = date.fromordinal(start.toordinal() + days - 1)
    if ok:
        resolve_range(str(start), str(end), grain)
    else:
        with pytest.raises(ApiError) as raised:
            resolve_range(str(start), str(end), grain)
        assert (raised.value.status, raised.value.field) == (400, "to")


@pytest.mark.parametrize(
    ("start", "end", "cover"),
    [
        ("2026-11-18", "2026-11-18", ("day", 1)),
        ("2026-11-16", "2026-11-22", ("week", 1)),
        ("2026-11-01", "2026-11-30", ("month", 1)),
        ("2024-02-01", "2024-02-29", ("month", 1)),
        ("2026-12-01", "2027-02-28", ("month", 3)),
        ("2026-11-09", "2026-11-22", ("week", 2)),
        ("2026-11-17", "2026-11-23", ("day", 7)),
        ("2026-11-02", "2026-11-30", ("day", 29)),
        # February 2027 starts on a Monday and ends on a Sunday: one month beats four weeks
        ("2027-02-01", "2027-02-28", ("month", 1)),
    ],
)
def test_a_range_is_read_as_the_fewest_whole_periods(start, end, cover):
    # When a widened range is split into whole periods of month, week or day
    # Then the coarsest grain that fits is chosen, with its number of periods
    assert whole_periods(date.fromisoformat(start), date.fromisoformat(end)) == cover


ACME_NORTH = Scope(client_id="acme", reseller_id="north-shop")


def test_scope_defaults_to_the_principal_and_narrows_within_it():
    assert resolve_scope(ACME_NORTH) == ACME_NORTH
    assert resolve_scope(ACME_NORTH, user_id="u-1") == Scope("acme", "north-shop", "u-1")
    assert resolve_scope(Scope(), "globex", "north-shop") == Scope("globex", "north-shop")


@pytest.mark.parametrize(
    ("principal", "params", "status", "field"),
    [
        (ACME_NORTH, {"client_id": "globex"}, 403, "client_id"),
        (ACME_NORTH, {"reseller_id": "south-shop"}, 403, "reseller_id"),
        (Scope("acme", "north-shop", "u-1"), {"reseller_id": "south-shop"}, 403, "reseller_id"),
        (Scope(), {"reseller_id": "north-shop"}, 400, "client_id"),
        (Scope("acme"), {"user_id": "u-1"}, 400, "reseller_id"),
    ],
)
def test_scope_outside_or_ambiguous(principal, params, status, field):
    with pytest.raises(ApiError) as raised:
        resolve_scope(principal, **params)
    assert (raised.value.status, raised.value.field) == (status, field)


@pytest.mark.parametrize(
    "data",
    [
        {"level": "root"},
        {"level": "client"},
        {"level": "client", "client_id": "acme", "reseller_id": "north-shop"},
        {"level": "reseller", "client_id": "acme"},
        {"level": "user", "client_id": "acme", "reseller_id": "n", "user_id": "bad id"},
        {"level": "global", "client_id": "acme"},
    ],
)
def test_malformed_principals_are_refused(data):
    with pytest.raises(InvalidPrincipal):
        principal_from_mapping(data)


def test_breakdown_levels():
    assert breakdown_level(Scope(), None) == "client"
    assert breakdown_level(Scope("acme"), None) == "reseller"
    assert breakdown_level(Scope("acme", "n"), None) == "user"
    assert breakdown_level(Scope("acme", "n", "u"), None) == "user"
    assert breakdown_level(Scope("acme"), "user") == "user"
    with pytest.raises(ApiError):
        breakdown_level(Scope("acme", "n"), "client")


def test_cursor_round_trip_and_binding():
    codec = CursorCodec(b"k")
    position = (datetime(2026, 11, 20, 10, 0, 0, 250000), "s-1")
    cursor = codec.encode(*position, binding="reseller|acme|north-shop")
    assert codec.decode(cursor, "reseller|acme|north-shop") == position
    for binding in ("reseller|globex|north-shop", "global"):
        with pytest.raises(ApiError):
            codec.decode(cursor, binding)
    with pytest.raises(ApiError):
        CursorCodec(b"other-key").decode(cursor, "reseller|acme|north-shop")
