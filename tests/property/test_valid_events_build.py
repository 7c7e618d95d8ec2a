"""No event the contract allows can stop the pipeline (issue 17, section 5).

Events at and around every bound of Contract 1 (ingest_lambda/contract.py), drawn by hypothesis,
plus sessions whose user changes midway and session ids reused under other tenants, go into one
log file beside a small simulated day of ordinary traffic. The real ingest lands them and the real
dbt project builds (local DuckDB). Then: the build passed, every event of the file was landed or
quarantined exactly as the reference validator says, with a reason; every landed request is
counted; the session metrics are the oracle's (tests/api/api_oracle.py, which follows the dbt
docs' session rule) at every level; revenue and quantity add up to the lake's; the API serves a
session that signed in midway whole, to its (first) user only.

One example per run (each costs a dbt build), no shrinking; hypothesis draws another each run.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api_lambda import queries
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.scope import Scope
from ingest_lambda import contract as c
from ingest_lambda.commands import ingest_command, simulate_command
from ingest_lambda.parse import LAND, QUARANTINE, parse_message
from ingest_lambda.validate import reason_code
from tests.api.api_oracle import Oracle, load_events
from tests.dbt.dbt_helpers import REPO, dbt, query

pytestmark = pytest.mark.slow

INGEST_NOW = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
FIRST_DAY = datetime(2026, 11, 19)
SIM_ARGS = ["--seed", "3", "--days", "2", "--sessions", "40", "--clients", "2", "--end-date", "2026-11-20"]
BOUNDS_FILE = "bounds.log"
REASON_CODES = {
    "invalid_utf8", "line_too_large", "invalid_json", "missing_field", "wrong_type", "invalid_id",
    "invalid_value", "invalid_timestamp", "naive_timestamp", "too_old", "too_far_in_future",
    "unsupported_schema_version",
}  # fmt: skip


def near(*bounds: int) -> st.SearchStrategy[int]:
    return st.sampled_from(sorted({b + d for b in bounds for d in (-1, 0, 1)}))


PRICES = st.one_of(
    st.sampled_from(
        [
            0, 0.0001, 12.5, 3, 99999999.9999, 100000000, 100000000.0001, 999999999.9999,
            c.MAX_UNIT_PRICE, c.MAX_UNIT_PRICE + 0.5, 1.00001, 0.1 + 0.2, -0.5,
        ]
    ),
    st.integers(0, 10**6),
)  # fmt: skip
QUANTITIES = st.one_of(near(0, c.MAX_QUANTITY, 2**63), st.integers(0, 5))
DURATIONS = st.one_of(near(0, c.MAX_DURATION_MS, 2**63), st.integers(0, 5000))
STATUSES = st.one_of(near(c.MIN_STATUS, c.MAX_STATUS), st.sampled_from([200, 404]))
METHODS = st.sampled_from(["GET", "POST", "PURGE", "propfind", "M-SEARCH", "A" * 32, "A" * 33, "GET /", ""])
CURRENCIES = st.one_of(st.sampled_from(sorted(c.CURRENCIES)), st.sampled_from(["XXX", "XTS", "XXY", "gbp"]))
TENANTS = st.sampled_from([("acme", "north"), ("acme", "south"), ("zeta", "north")])
USERS = st.sampled_from(["u-1", "u-2", "anon-1"])
SESSIONS = st.sampled_from([f"bs-{i}" for i in range(8)])


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """One analytics object; most fields ordinary, the bounded ones often at a bound."""
    client, reseller = draw(TENANTS)
    products = [
        {
            "product_id": draw(st.sampled_from(["p-1", "p-2"])),
            "name": draw(st.sampled_from(["Mug", "M" * c.MAX_TEXT_CHARS, "M" * (c.MAX_TEXT_CHARS + 1)])),
            "category": "kitchen",
            "unit_price": draw(PRICES),
            "currency": draw(CURRENCIES),
            "quantity": draw(QUANTITIES),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "schema_version": 1,
        "session_id": draw(SESSIONS),
        "client_id": client,
        "reseller_id": reseller,
        "user_id": draw(USERS),
        "occurred_at": FIRST_DAY + timedelta(minutes=draw(st.integers(0, 2 * 24 * 60 - 1))),
        "method": draw(METHODS),
        "path": "/" + "p" * draw(st.sampled_from([1, 10, c.MAX_PATH_CHARS - 1, c.MAX_PATH_CHARS])),
        "status": draw(STATUSES),
        "duration_ms": draw(DURATIONS),
        "products": products,
    }


# Always in the file: a session that signs in midway (and spans midnight), one session id under
# two resellers and a client, and a method outside RFC 9110's nine.
ANCHORS = [  # (session_id, client_id, reseller_id, user_id, minutes after FIRST_DAY)
    ("sign-in", "acme", "north", "anon-9", 23 * 60 + 50),
    ("sign-in", "acme", "north", "u-9", 24 * 60 + 5),
    ("reused", "acme", "north", "u-1", 600),
    ("reused", "acme", "south", "u-1", 610),
    ("reused", "zeta", "north", "u-1", 620),
]


def log_line(number: int, event: dict[str, Any]) -> str:
    analytics = {"request_id": f"br-{number}", **event}
    analytics["occurred_at"] = event["occurred_at"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return json.dumps(
        {
            "level": "INFO",
            "message": "analytics.request",
            "timestamp": analytics["occurred_at"],
            "service": "storefront",
            "analytics": {k: analytics[k] for k in ["schema_version", "request_id", *event]},
        },
        separators=(",", ":"),
    )


def anchor_events() -> list[dict[str, Any]]:
    return [
        {
            "schema_version": 1,
            "session_id": session,
            "client_id": client,
            "reseller_id": reseller,
            "user_id": user,
            "occurred_at": FIRST_DAY + timedelta(minutes=minutes),
            "method": "PURGE",
            "path": "/x",
            "status": 200,
            "duration_ms": 1,
            "products": [],
        }
        for session, client, reseller, user, minutes in ANCHORS
    ]


def raw_records(lake: Path, prefix: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for part in sorted((lake / prefix).rglob("*.json.gz"))
        for line in gzip.decompress(part.read_bytes()).decode().split("\n")
        if line
    ]


@given(st.lists(events(), min_size=40, max_size=80))
@settings(
    max_examples=1,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_events_at_every_bound_land_or_quarantine_and_the_build_passes_and_reconciles(
    drawn: list[dict[str, Any]],
) -> None:
    with tempfile.TemporaryDirectory(prefix="bounds-") as tmp:
        check(Path(tmp), anchor_events() + drawn)


def check(tmp: Path, bound_events: list[dict[str, Any]]) -> None:
    # Given a small simulated day of ordinary traffic and a file of events at the bounds, one of
    # them delivered twice
    logs, lake, warehouse = tmp / "logs", tmp / "lake", tmp / "warehouse.duckdb"
    subprocess.run(simulate_command(logs, *SIM_ARGS), cwd=REPO, check=True, capture_output=True)
    lines = [log_line(i, e) for i, e in enumerate(bound_events)]
    lines.append(lines[-1])
    (logs / BOUNDS_FILE).write_text("\n".join(lines) + "\n")

    # When the ingest lands them and dbt builds the project
    env = {"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(warehouse)}
    now = INGEST_NOW.isoformat().replace("+00:00", "Z")
    subprocess.run(
        ingest_command(logs, now), cwd=REPO, check=True, capture_output=True, env={**os.environ, **env}
    )
    build = dbt(["build", "--exclude", "test_type:unit", "--target", "local"], env)

    # Then the build passed (dbt() fails the test otherwise), and the warn-level tests reported
    # what the contract allows but an operator should see
    warned = {name for name in re.findall(r"WARN \d+ (\w+)", build.stdout)}
    assert "unique_fct_sessions_session_id" in warned
    assert any(name.startswith("accepted_values_stg_lake__request_events_method") for name in warned)

    # And every line of the file was landed or quarantined exactly as the reference validator
    # judges it, each quarantined one with a reason
    received = INGEST_NOW.replace(tzinfo=None)
    oldest, newest = received - timedelta(days=14), received + timedelta(minutes=60)
    expected = [parse_message(line, oldest, newest, 262144) for line in lines]
    landed = {r["event_id"] for r in raw_records(lake, "raw") if r["log_group"] == f"file:{BOUNDS_FILE}"}
    quarantined = [r for r in raw_records(lake, "quarantine") if r["log_group"] == f"file:{BOUNDS_FILE}"]
    assert landed == {f"{BOUNDS_FILE}:{i}" for i, (kind, _) in enumerate(expected, 1) if kind == LAND}
    assert [q["reason"] for q in quarantined] == [reason for kind, reason in expected if kind == QUARANTINE]
    assert {reason_code(q["reason"]) for q in quarantined} <= REASON_CODES
    assert len(landed) + len(quarantined) == len(lines)

    # And every landed request is counted once, in the facts and in the aggregates
    oracle = Oracle(load_events(lake))
    requests = {e.request_id for e in oracle.events}
    marts = {"wh": warehouse}
    assert query("select count(*), count(distinct request_id) from wh.marts.fct_requests", marts) == [
        (len(requests), len(requests))
    ]
    assert query(
        "select cast(sum(requests) as bigint) from wh.marts.agg_session_metrics"
        " where grain = 'month' and level = 'global'",
        marts,
    ) == [(len(requests),)]

    # And the session metrics are the oracle's at every level, by the session rule
    expected_days: dict[tuple, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for e in oracle.events:
        day = e.occurred_at.date().isoformat()
        for depth, level in enumerate(("global", "client", "reseller", "user")):
            keys = (*e.tenant()[:depth], *[None] * (3 - depth))
            sessions, reqs = expected_days[(level, *keys, day)]
            sessions.add(e.session())
            reqs.add(e.request_id)
    actual = query(
        "select level, client_id, reseller_id, user_id, cast(cast(period_start as date) as varchar),"
        " sessions, requests from wh.marts.agg_session_metrics where grain = 'day'",
        marts,
    )
    assert {row[:5]: (row[5], row[6]) for row in actual} == {
        key: (len(sessions), len(reqs)) for key, (sessions, reqs) in expected_days.items()
    }

    # And quantity and revenue add up to the landed product lines', per currency, exactly
    lines_total: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for e in oracle.events:
        for p in e.products:
            lines_total[p["currency"]][0] += p["quantity"]
            lines_total[p["currency"]][1] += Decimal(str(p["unit_price"])) * p["quantity"]
    products = query(
        "select currency, cast(sum(quantity) as bigint), cast(sum(revenue) as varchar)"
        " from wh.marts.agg_product_metrics where grain = 'month' and level = 'global' group by 1",
        marts,
    )
    assert {cur: (q, Decimal(r)) for cur, q, r in products} == {
        cur: (q, r) for cur, (q, r) in lines_total.items()
    }

    # And the API serves the session that signed in midway as its first user's, whole: its
    # details for that user hold both requests, and the user it signed in as does not see it
    (tmp / "snapshots").mkdir()
    backend = DuckDBBackend(warehouse, snapshot_dir=tmp / "snapshots")
    try:
        anonymous, signed_in = Scope("acme", "north", "anon-9"), Scope("acme", "north", "u-9")
        details = queries.session_requests(backend, anonymous, "sign-in")
        assert details is not None
        assert len(details["requests"]) == 2
        assert queries.session_requests(backend, signed_in, "sign-in") is None
        listed, _ = queries.sessions_page(backend, anonymous, None, None, 10, None)
        assert [(s["session_id"], s["requests"]) for s in listed] == [("sign-in", 2)]
        assert queries.sessions_page(backend, signed_in, None, None, 10, None)[0] == []
    finally:
        backend.close()
