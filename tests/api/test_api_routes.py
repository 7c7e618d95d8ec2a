"""Every route against the dbt-built warehouse, checked against figures computed from raw events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from api_oracle import Tenants, widen

SCOPES = ["global", "client", "reseller", "user"]


@pytest.mark.parametrize("grain", ["hour", "day", "week", "month"])
@pytest.mark.parametrize("who", SCOPES)
def test_series_matches_raw_events_for_every_grain_and_level(get, oracle, tenants: Tenants, who, grain):
    # Given a range inside the simulated days that cuts weeks and months
    start = tenants.first_day + timedelta(days=1)
    end = tenants.last_day - timedelta(days=1)
    # When the principal asks for its own series
    response = get(
        who, "/v1/metrics/sessions", grain=grain, **{"from": start.isoformat(), "to": end.isoformat()}
    )
    # Then every period of the widened range is present with the raw figures
    assert response.status_code == 200, response.text
    body = response.json()
    expected = oracle.series(tenants.scope(who), grain, start, end)
    assert (body["from"], body["to"]) == (expected["from"], expected["to"])
    assert body["grain"] == grain
    assert body["scope"] == tenants.principals[who]
    got = [(p["period_start"], p["sessions"], p["requests"]) for p in body["series"]]
    assert got == expected["points"]
    assert sum(p[2] for p in got) > 0, "the chosen range must hold traffic for the check to mean anything"
    for point in body["series"]:
        ratio = point["requests"] / point["sessions"] if point["sessions"] else 0.0
        assert point["requests_per_session"] == pytest.approx(ratio, abs=1e-4)


def test_week_series_widens_to_whole_weeks(get, oracle, tenants: Tenants):
    # Given a range from a Wednesday to the next Tuesday
    start = tenants.first_day + timedelta(days=(2 - tenants.first_day.weekday()) % 7)
    end = start + timedelta(days=6)
    # When the global principal asks for weeks
    body = get("global", "/v1/metrics/sessions", grain="week", **{"from": str(start), "to": str(end)}).json()
    # Then the answer counts Monday..Sunday of both weeks and says so
    assert body["from"] == str(start - timedelta(days=2))
    assert body["to"] == str(end + timedelta(days=5))
    assert len(body["series"]) == 2
    # And sessions of a week are distinct sessions, not a sum of days
    days = oracle.series({}, "day", start - timedelta(days=2), start + timedelta(days=4))
    assert body["series"][0]["sessions"] <= sum(p[1] for p in days["points"])


@pytest.mark.parametrize(
    ("who", "by"),
    [
        ("global", None),
        ("global", "reseller"),
        ("global", "user"),
        ("client", None),
        ("client", "user"),
        ("reseller", None),
        ("user", None),
    ],
)
def test_breakdown_matches_raw_events(get, oracle, tenants: Tenants, who, by):
    # Given the whole simulated range
    start, end = tenants.first_day, tenants.last_day
    params = {"from": str(start), "to": str(end)}
    if by:
        params["by"] = by
    # When the principal asks for its breakdown
    response = get(who, "/v1/metrics/sessions/breakdown", **params)
    # Then the rows are the scope's children (or the `by` level) with raw distinct counts
    assert response.status_code == 200, response.text
    body = response.json()
    expected_by = by or {"global": "client", "client": "reseller", "reseller": "user", "user": "user"}[who]
    assert body["by"] == expected_by
    expected = oracle.breakdown(tenants.scope(who), expected_by, start, end)
    keys = ("client_id", "reseller_id", "user_id")[: ("client", "reseller", "user").index(expected_by) + 1]
    got = {tuple(row[k] for k in keys): (row["sessions"], row["requests"]) for row in body["rows"]}
    assert got == expected
    assert all(set(row) == {*keys, "sessions", "requests", "requests_per_session"} for row in body["rows"])
    sessions = [row["sessions"] for row in body["rows"]]
    assert sessions == sorted(sessions, reverse=True)


@pytest.mark.parametrize("who", SCOPES)
def test_products_match_raw_events(get, oracle, tenants: Tenants, who):
    # Given the whole range and a limit above the number of products
    start, end = tenants.first_day, tenants.last_day
    # When the principal asks for its products
    response = get(who, "/v1/metrics/products", limit=1000, **{"from": str(start), "to": str(end)})
    # Then every product and currency has the raw requests, sessions, quantity and revenue
    assert response.status_code == 200, response.text
    rows = response.json()["products"]
    expected = oracle.products(tenants.scope(who), start, end)
    assert {(r["product_id"], r["currency"]) for r in rows} == set(expected)
    for row in rows:
        want = expected[(row["product_id"], row["currency"])]
        assert (row["requests"], row["sessions"], row["quantity"]) == (
            want["requests"],
            want["sessions"],
            want["quantity"],
        )
        assert row["revenue"] == pytest.approx(float(want["revenue"]), abs=1e-6)
        assert (row["name"], row["category"]) == (want["name"], want["category"])
    requests = [r["requests"] for r in rows]
    assert requests == sorted(requests, reverse=True)


def test_products_limit_keeps_the_top(get, oracle, tenants: Tenants):
    # Given the global products ranked from raw
    start, end = tenants.first_day, tenants.last_day
    ranked = sorted(oracle.products({}, start, end).values(), key=lambda r: -r["requests"])
    # When asking for the top 3
    rows = get("global", "/v1/metrics/products", limit=3, **{"from": str(start), "to": str(end)}).json()[
        "products"
    ]
    # Then three rows come back with the three highest request counts
    assert [r["requests"] for r in rows] == [r["requests"] for r in ranked[:3]]


@pytest.mark.parametrize("who", SCOPES)
def test_sessions_pages_cover_every_session_once_newest_first(get, oracle, tenants: Tenants, who):
    # Given a small page size so that several pages are needed
    expected = oracle.sessions(tenants.scope(who))
    pages, cursor, seen = 0, None, []
    # When the principal follows next_cursor to the end
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        response = get(who, "/v1/sessions", **params)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += body["sessions"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 500
    # Then the pages hold exactly the raw sessions, in order, each once
    assert seen == expected
    assert pages == max(1, -(-len(expected) // 7))


# A user's sessions are read in one query; larger scopes' pages come from look-back windows.
@pytest.mark.parametrize("who", ["global", "client", "reseller"])
def test_sessions_pages_of_a_range_cover_its_sessions_once(get, oracle, tenants: Tenants, who):
    # Given a range of several days inside the data, and a page size that needs about four
    # pages (pages are read from look-back windows before `to` and the cursor, widened when
    # one holds too few sessions)
    start, end = tenants.first_day + timedelta(days=1), tenants.last_day - timedelta(days=1)
    expected = oracle.sessions(tenants.scope(who), start, end)
    assert len(expected) >= 2
    limit = max(1, len(expected) // 4)
    dates = {"from": str(start), "to": str(end)}
    seen, cursor = [], None
    # When the principal pages through it
    for _ in range(500):
        body = get(who, "/v1/sessions", limit=limit, **dates, **({"cursor": cursor} if cursor else {})).json()
        seen += body["sessions"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    # Then every overlapping session comes once, newest first
    assert seen == expected


def test_sessions_range_keeps_overlapping_sessions(get, oracle, tenants: Tenants):
    # Given one day in the middle of the data
    day = tenants.first_day + timedelta(days=3)
    # When listing the client's sessions of that day
    body = get("client", "/v1/sessions", limit=1000, **{"from": str(day), "to": str(day)}).json()
    # Then they are the sessions that overlap the day
    assert body["sessions"] == oracle.sessions(tenants.scope("client"), day, day)
    assert body["sessions"]
    assert body["next_cursor"] is None


def test_session_requests_match_raw_events(get, oracle, tenants: Tenants):
    # Given sessions of several tenants, including the one with most requests
    sessions = oracle.sessions({})
    sample = sorted(sessions, key=lambda s: -s["requests"])[:3] + sessions[::40]
    for session in sample:
        # When the global principal reads a session
        response = get("global", f"/v1/sessions/{session['session_id']}/requests")
        # Then the requests are the raw ones in time order with their product lines
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["session_id"] == session["session_id"]
        assert body["requests"] == oracle.session_requests(session["session_id"])
    assert any(p for s in sample for r in oracle.session_requests(s["session_id"]) for p in r["products"])


def test_a_tampered_cursor_is_refused(get, tenants: Tenants):
    # Given a valid cursor
    cursor = get("client", "/v1/sessions", limit=2).json()["next_cursor"]
    payload, signature = cursor.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    # When it is altered, replayed by another tenant, or used with other filters
    attempts = [
        get("client", "/v1/sessions", cursor=forged),
        get("client_other", "/v1/sessions", cursor=cursor),
        get("global", "/v1/sessions", cursor=cursor),
        get("client", "/v1/sessions", cursor=cursor, **{"from": str(tenants.first_day)}),
    ]
    # Then each gets 400 invalid_cursor and no rows
    for response in attempts:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"
    assert get("client", "/v1/sessions", cursor=cursor).status_code == 200


def test_health_and_openapi_need_no_token(get):
    # When calling them without a token
    health, openapi = get(None, "/v1/health"), get(None, "/v1/openapi.json")
    # Then both answer, and the document describes every route with the bearer scheme
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "backend": "duckdb"}
    doc = openapi.json()
    assert set(doc["paths"]) == {
        "/v1/health",
        "/v1/metrics/sessions",
        "/v1/metrics/sessions/breakdown",
        "/v1/metrics/products",
        "/v1/sessions",
        "/v1/sessions/{session_id}/requests",
    }
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "404" in doc["paths"]["/v1/sessions/{session_id}/requests"]["get"]["responses"]
    assert all("422" not in op["responses"] for path in doc["paths"].values() for op in path.values())


# Ranges over the simulated days (first_day is a Wednesday) by the way the API reads them: one
# whole period of a grain comes straight from that period's aggregate rows; several periods are
# the aggregate summed, corrected for sessions counted in more than one; as offsets in days
# from first_day, with the grain that widens them.
RANGE_KINDS = {
    "one day": ("day", 4, 4),
    "one week": ("week", 5, 5),
    "one month": ("month", 0, 9),
    "two weeks": ("week", 0, 9),
    "eight days": ("day", 1, 8),
}


def _range_of(tenants: Tenants, kind: str) -> tuple[str, dict[str, str]]:
    grain, first, last = RANGE_KINDS[kind]
    start, end = tenants.first_day + timedelta(days=first), tenants.first_day + timedelta(days=last)
    return grain, {"from": str(start), "to": str(end)}


@pytest.mark.parametrize("kind", list(RANGE_KINDS))
@pytest.mark.parametrize("who", SCOPES)
def test_products_match_raw_events_for_one_and_several_periods(get, oracle, tenants: Tenants, who, kind):
    # Given a range that is one period of a grain, or several
    grain, dates = _range_of(tenants, kind)
    # When the principal asks for its products
    response = get(who, "/v1/metrics/products", limit=1000, grain=grain, **dates)
    # Then the widened range is counted, with the raw distinct sessions of each product
    assert response.status_code == 200, response.text
    body = response.json()
    start, end = widen(date.fromisoformat(dates["from"]), date.fromisoformat(dates["to"]), grain)
    assert (body["from"], body["to"]) == (str(start), str(end))
    expected = oracle.products(tenants.scope(who), start, end)
    # (one user may have bought nothing on one day; every wider scope did)
    assert expected or who == "user", "the range must hold product lines for the check to mean anything"
    got = {
        (r["product_id"], r["currency"]): (r["requests"], r["sessions"], r["quantity"], r["name"])
        for r in body["products"]
    }
    assert got == {
        key: (want["requests"], want["sessions"], want["quantity"], want["name"])
        for key, want in expected.items()
    }
    for row in body["products"]:
        want = expected[(row["product_id"], row["currency"])]
        assert row["revenue"] == pytest.approx(float(want["revenue"]), abs=1e-6)


def test_products_count_a_session_in_two_periods_once(get, oracle, tenants: Tenants):
    # Given eight days in which some session bought the same product on two days
    _, dates = _range_of(tenants, "eight days")
    start, end = date.fromisoformat(dates["from"]), date.fromisoformat(dates["to"])
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    per_day = [oracle.products({}, day, day) for day in days]
    whole = oracle.products({}, start, end)
    summed = {key: sum(day[key]["sessions"] for day in per_day if key in day) for key in whole}
    twice = [key for key in whole if summed[key] > whole[key]["sessions"]]
    assert twice, "the simulated data must hold a session spanning midnight for this check"
    # When the global principal asks for its products over the eight days
    rows = get("global", "/v1/metrics/products", limit=1000, **dates).json()["products"]
    # Then such a product's sessions are distinct sessions, not the sum of its days
    sessions = {(r["product_id"], r["currency"]): r["sessions"] for r in rows}
    for key in twice:
        assert sessions[key] == whole[key]["sessions"] < summed[key]


@pytest.mark.parametrize("kind", list(RANGE_KINDS))
@pytest.mark.parametrize(("who", "by"), [("global", None), ("client", "user"), ("reseller", None)])
def test_breakdown_matches_raw_events_for_one_and_several_periods(
    get, oracle, tenants: Tenants, who, by, kind
):
    # Given a range that is one period of a grain, or several
    grain, dates = _range_of(tenants, kind)
    params = {**dates, "grain": grain, **({"by": by} if by else {})}
    # When the principal asks for its breakdown
    response = get(who, "/v1/metrics/sessions/breakdown", **params)
    # Then each row has the raw distinct sessions and requests over the widened range
    assert response.status_code == 200, response.text
    body = response.json()
    start, end = widen(date.fromisoformat(dates["from"]), date.fromisoformat(dates["to"]), grain)
    assert (body["from"], body["to"]) == (str(start), str(end))
    expected = oracle.breakdown(tenants.scope(who), body["by"], start, end)
    assert expected
    width = ("client", "reseller", "user").index(body["by"]) + 1
    keys = ("client_id", "reseller_id", "user_id")[:width]
    got = {tuple(row[k] for k in keys): (row["sessions"], row["requests"]) for row in body["rows"]}
    assert got == expected
    sessions = [row["sessions"] for row in body["rows"]]
    assert sessions == sorted((s for s, _ in expected.values()), reverse=True)
