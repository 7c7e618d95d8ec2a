"""API latency: p50/p99 per route over seeded random requests, beside /v1/health as the floor.

In-process through the ASGI adapter the local server runs (`api_lambda.asgi`, driven by starlette's
TestClient: each request becomes the HTTP API event the Lambda gets, answered by the same Powertools
resolver), the same way for every route and for the floor, so the difference is the route's own
work: auth, validation, scope, the DuckDB query, JSON.
Requests of all routes and the floor are interleaved in one seeded random order, so a slow
moment of the machine falls on all of them alike.
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from api_lambda.periods import GRAINS, MAX_SPAN_DAYS
from api_lambda.scope import LEVELS
from bench.measure import percentile, progress

FLOOR = "GET /v1/health"
ROUTES = (
    "GET /v1/metrics/sessions",
    "GET /v1/metrics/sessions/breakdown",
    "GET /v1/metrics/products",
    "GET /v1/sessions",
    "GET /v1/sessions/{session_id}/requests",
)
WARMUP_PER_ROUTE = 5
SESSION_SAMPLE = 2000
# Longest hourly span the API accepts; other grains get up to 90 days.
HOUR_SPAN_DAYS = MAX_SPAN_DAYS["hour"]
SPAN_DAYS = 90


@dataclass(frozen=True)
class Planned:
    route: str
    url: str
    token: str


@dataclass(frozen=True)
class World:
    """What the warehouse holds: its tenants at each level, a sample of sessions, its days."""

    tenants: dict[str, list[dict[str, str]]]
    sessions: list[dict[str, str]]
    first_day: date
    last_day: date


def load_world(warehouse: Path, seed: int) -> World:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        users = con.execute(
            "select distinct client_id, reseller_id, user_id from marts.fct_sessions order by all"
        ).fetchall()
        # A seeded hash order: the same sample for the same data and seed, whatever the threads.
        sample = con.execute(
            "select session_id, client_id, reseller_id, user_id from marts.fct_sessions "
            "order by hash(session_id || ?), session_id limit ?",
            [str(seed), SESSION_SAMPLE],
        ).fetchall()
        first, last = con.execute(
            "select min(event_date), max(event_date) from marts.fct_requests"
        ).fetchone()  # type: ignore[misc]
    tenants: dict[str, list[dict[str, str]]] = {
        "global": [{"level": "global"}],
        "client": [{"level": "client", "client_id": c} for c in sorted({u[0] for u in users})],
        "reseller": [
            {"level": "reseller", "client_id": c, "reseller_id": r} for c, r in sorted({u[:2] for u in users})
        ],
        "user": [{"level": "user", "client_id": c, "reseller_id": r, "user_id": u} for c, r, u in users],
    }
    sessions = [{"session_id": s, "client_id": c, "reseller_id": r, "user_id": u} for s, c, r, u in sample]
    return World(tenants, sessions, first, last)


def token_of(principal: dict[str, str]) -> str:
    return "bench|" + "|".join(principal.get(k, "") for k in ("level", "client_id", "reseller_id", "user_id"))


def _range(rng: random.Random, world: World, grain: str) -> dict[str, str]:
    days = (world.last_day - world.first_day).days
    end = world.first_day + timedelta(days=rng.randint(0, days))
    span = rng.randint(1, HOUR_SPAN_DAYS if grain == "hour" else SPAN_DAYS)
    return {"from": (end - timedelta(days=span - 1)).isoformat(), "to": end.isoformat()}


def _principal_over(rng: random.Random, session: dict[str, str]) -> dict[str, str]:
    """A principal whose scope contains the session: the session's own tenant at a random level."""
    depth = rng.randint(0, 3)
    keys = ("client_id", "reseller_id", "user_id")[:depth]
    return {"level": LEVELS[depth], **{k: session[k] for k in keys}}


def plan(world: World, per_route: int, seed: int) -> list[Planned]:
    """Seeded random requests: per_route for every route and for the floor, shuffled together."""
    rng = random.Random(seed)
    planned: list[Planned] = []
    for _ in range(per_route):
        principal = world.tenants[rng.choice(LEVELS)]
        who = rng.choice(principal)
        grain = rng.choice(GRAINS)
        planned.append(
            Planned(
                ROUTES[0],
                f"/v1/metrics/sessions?{urlencode({'grain': grain, **_range(rng, world, grain)})}",
                token_of(who),
            )
        )
        who = rng.choice(world.tenants[rng.choice(LEVELS)])
        depth = LEVELS.index(who["level"])
        by = rng.choice([None, *LEVELS[max(depth, 1) :]])
        query = {"grain": "day", **_range(rng, world, "day"), **({"by": by} if by else {})}
        planned.append(
            Planned(ROUTES[1], f"/v1/metrics/sessions/breakdown?{urlencode(query)}", token_of(who))
        )
        who = rng.choice(world.tenants[rng.choice(LEVELS)])
        grain = rng.choice(GRAINS)
        query = {"grain": grain, **_range(rng, world, grain), "limit": rng.choice((10, 20, 50))}
        planned.append(Planned(ROUTES[2], f"/v1/metrics/products?{urlencode(query)}", token_of(who)))
        who = rng.choice(world.tenants[rng.choice(LEVELS)])
        query = {"limit": rng.choice((20, 50, 100))}
        if rng.random() < 0.7:
            query |= _range(rng, world, "day")
        planned.append(Planned(ROUTES[3], f"/v1/sessions?{urlencode(query)}", token_of(who)))
        session = rng.choice(world.sessions)
        planned.append(
            Planned(
                ROUTES[4],
                f"/v1/sessions/{session['session_id']}/requests",
                token_of(_principal_over(rng, session)),
            )
        )
        planned.append(Planned(FLOOR, "/v1/health", ""))
    rng.shuffle(planned)
    return planned


def summarize(latencies_ms: list[float], errors: int) -> dict[str, Any]:
    return {
        "requests": len(latencies_ms),
        "p50_ms": round(percentile(latencies_ms, 50), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
        "max_ms": round(max(latencies_ms), 2),
        "mean_ms": round(sum(latencies_ms) / len(latencies_ms), 2),
        "errors": errors,
    }


def run_stage(warehouse: Path, work: Path, per_route: int, seed: int) -> dict[str, Any]:
    from starlette.testclient import TestClient

    from api_lambda.asgi import create_app
    from api_lambda.auth import TokensFileAuthenticator
    from api_lambda.backends.duckdb import DuckDBBackend
    from api_lambda.settings import Settings

    world = load_world(warehouse, seed)
    principals = [p for level in LEVELS for p in world.tenants[level]]
    principals += [_principal_over(random.Random(i), s) for i, s in enumerate(world.sessions)]
    tokens_file = work / "api-tokens.json"
    tokens_file.write_text(json.dumps({token_of(p): p for p in principals}))
    settings = Settings(
        warehouse_path=warehouse,
        tokens_file=tokens_file,
        cursor_secret=b"bench",
        cursor_secret_is_random=False,
    )
    backend = DuckDBBackend(warehouse, snapshot_dir=None)
    app = create_app(settings, backend, TokensFileAuthenticator(tokens_file))
    requests = plan(world, per_route, seed)
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    examples: dict[str, str] = {}
    try:
        with TestClient(app) as client:
            warmup = {r.route: r for r in requests}
            for request in list(warmup.values()) * WARMUP_PER_ROUTE:
                client.get(request.url, headers=_headers(request))
            progress(f"api: {len(requests)} requests ({per_route} per route and for the floor), seed {seed}")
            for request in requests:
                headers = _headers(request)
                started = time.perf_counter()
                response = client.get(request.url, headers=headers)
                latencies[request.route].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors[request.route] += 1
                    examples.setdefault(
                        request.route, f"{response.status_code} {request.url} {response.text[:200]}"
                    )
    finally:
        backend.close()
    floor = summarize(latencies[FLOOR], errors[FLOOR])
    routes = {}
    for route in ROUTES:
        figures = summarize(latencies[route], errors[route])
        figures["p99_over_floor_ms"] = round(figures["p99_ms"] - floor["p99_ms"], 2)
        figures["p50_over_floor_ms"] = round(figures["p50_ms"] - floor["p50_ms"], 2)
        routes[route] = figures
    return {
        "method": "in-process ASGI (api_lambda.asgi, starlette TestClient), DuckDB on a warehouse snapshot",
        "seed": seed,
        "requests_per_route": per_route,
        "warmup_per_route": WARMUP_PER_ROUTE,
        "data_days": [world.first_day.isoformat(), world.last_day.isoformat()],
        "principals": {level: len(world.tenants[level]) for level in LEVELS},
        "floor": floor,
        "routes": routes,
        "error_examples": examples,
    }


def _headers(request: Planned) -> dict[str, str]:
    return {"Authorization": f"Bearer {request.token}"} if request.token else {}
