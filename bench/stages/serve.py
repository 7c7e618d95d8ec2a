"""Serving: the API as the Lambda runs it, reading the marts a twin build published on S3 (moto).

Measured inside the twin stage (bench/stages/twin.py), on its twin and its builds: the twin's
full build of its subset of the lake, compacted and published as `python -m twin build` publishes
it, is what the handler first serves; day 31's hourly runs (its hours before the last, then its
last hour), each compacted and published in turn, are "the next build". Through
`api_lambda.handler` (imported with the Lambda's settings, S3 = the twin's moto over HTTP):

- S3 requests and bytes per call of the typical dashboard call (a 90-day daily series for one
  client): cold (a new container: nothing cached), warm (the next call), and in the warm container
  after the next build (day 31 landed, an incremental run) is published: what every container
  reads once per publish; counted from DuckDB's own log of its HTTP requests, the counts the
  Lambda's per-route metrics carry;
- warm p95 per route, over seeded requests of every route after a warm-up;
- cold start: a fresh interpreter imports the handler (DuckDB, its extensions, the S3 secret) and
  answers the typical call: the init plus the first query, median of COLD_SAMPLES;
- load: LOAD_USERS simulated dashboard users at once (threads on one handler: one container
  answering them in turn, the worst case for latency), LOAD_CALLS_PER_USER mixed calls each.

Extrapolation to 10M events a day, 90 days, from the measured layout (Iceberg `$files` of the
aggregate, read through Trino) and the measured requests (DuckDB's log splits them into Iceberg
metadata and Parquet data files). The aggregates are partitioned by (grain, level, period_bucket)
(docs/adr/0010-aggregate-period-buckets.md): the typical call's rows (day grain, client level)
lie in year buckets, so a 90-day range touches one bucket, or two when it crosses a new year (the
worst case, taken). Each build compacts the buckets it touched before it publishes
(`compact_served_aggregates`), so a published bucket is the files measured per bucket (1 after a
compaction). A cold call (a new container, or a warm one after a publish) costs:
- the table's metadata requests as measured (HEAD + GET of the metadata file, the manifest list,
  the manifests its filter cannot skip): they do not grow with events (a bucket's rows are one
  per client and period), only with the manifests the commits since the last manifest rewrite
  left (the twin rewrites them with each compaction; Athena has no such statement: see
  docs/serving.md);
- plus, per bucket of the range, its files times the requests per data file measured here.
Bytes: the data bytes measured per stored row, times the rows of the two buckets of the worst
case (a full year of one client's days plus the 89 days of the next year), plus the metadata
bytes measured; whole-file reads are assumed (an over-estimate: DuckDB skips row groups). Neither
files nor bytes per bucket grow with events, only with clients; a warm call reads nothing.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.measure import ChildRun, median, percentile, python_cmd, run_child
from bench.targets import ATHENA_EVENTS_PER_DAY

if TYPE_CHECKING:
    from bench.stages.twin import Twin

RANGE_DAYS = 90
WARM_CALLS_PER_ROUTE = 60
COLD_SAMPLES = 3
LOAD_USERS = 50
LOAD_CALLS_PER_USER = 10
TYPICAL = "GET /v1/metrics/sessions"
ROUTES = (
    TYPICAL,
    "GET /v1/metrics/sessions/breakdown",
    "GET /v1/metrics/products",
    "GET /v1/sessions",
    "GET /v1/sessions/{session_id}/requests",
)


def http_api_event(path: str, params: dict[str, Any], principal: dict[str, str]) -> dict[str, Any]:
    """An HTTP API (payload v2) event with the JWT authorizer's claims of `principal`."""
    claims = {"sub": "bench", **{f"analytics:{k}": v for k, v in principal.items()}}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(params),
        "headers": {"host": "bench", "authorization": "Bearer verified"},
        "requestContext": {
            "http": {"method": "GET", "path": path},
            "requestId": "bench",
            "stage": "$default",
            "authorizer": {"jwt": {"claims": claims, "scopes": None}},
        },
        "isBase64Encoded": False,
    }


class _Context:
    function_name = "api"
    aws_request_id = "bench"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"


def lambda_environment(twin: Twin) -> dict[str, str]:
    from serving.twin_serve import serving_environment

    return {
        **serving_environment(twin.settings),
        "CURSOR_SECRET": "bench",
        "POWERTOOLS_METRICS_NAMESPACE": "bench",
        # A publish is picked up on the next call (the pointer's own reads are not the calls').
        "API_POINTER_REFRESH_SECONDS": "1",
        # The per-request log lines and metric records would flood the output (the counts are still taken).
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


def publish(twin: Twin) -> dict[str, str]:
    from datetime import UTC, datetime

    from serving import pointer
    from twin.servers import s3_client
    from twin.terraform_names import terraform_names

    names = terraform_names()
    s3 = s3_client(twin.settings)
    bucket, prefix = pointer.split_s3_url(names.marts_data_dir)
    tables = pointer.file_metastore_locations(s3, bucket, prefix, names.marts_database)
    pointer.publish(s3, bucket, prefix, tables, datetime.now(UTC), "bench")
    return tables


def compact(twin: Twin) -> ChildRun:
    """What every build does before it publishes: the aggregates' recent buckets to one file each."""
    compacted, _, _ = twin.dbt("run-operation", "compact_served_aggregates")
    return compacted.check()


def aggregate_layout(twin: Twin) -> dict[str, Any]:
    """Files (data and delete files), bytes, buckets, rows and days of agg_session_metrics' day-grain
    client-level buckets (what the typical call reads), and the table's live manifests."""
    from twin.lake import connect, execute
    from twin.terraform_names import terraform_names

    schema = f"iceberg.{terraform_names().marts_database}"
    connection = connect(twin.settings)
    (files, size, buckets, rows), *_ = execute(
        connection,
        'select count(*), sum(file_size_in_bytes), count(distinct "partition".period_bucket),'
        " sum(case when content = 0 then record_count end)"
        f' from {schema}."agg_session_metrics$files"'
        """ where "partition".grain = 'day' and "partition".level = 'client'""",
    )
    ((days,),) = execute(
        connection,
        f"select count(distinct period_date) from {schema}.agg_session_metrics"
        " where grain = 'day' and level = 'client'",
    )
    ((manifests,),) = execute(connection, f'select count(*) from {schema}."agg_session_metrics$manifests"')
    return {
        "files": int(files),
        "bytes": int(size or 0),
        "buckets": int(buckets),
        "rows": int(rows or 0),
        "days": int(days),
        "files_per_bucket": round(files / buckets, 3) if buckets else None,
        "manifests": int(manifests),
    }


def world(handler: Any) -> dict[str, Any]:
    """Principals of every level and a sample of sessions, read through the API itself."""
    listed = call(handler, "/v1/sessions", {"limit": 1000}, {"level": "global"})
    sessions = listed["sessions"]
    clients = sorted({s["client_id"] for s in sessions})
    resellers = sorted({(s["client_id"], s["reseller_id"]) for s in sessions})
    users = sorted({(s["client_id"], s["reseller_id"], s["user_id"]) for s in sessions})
    return {
        "principals": [{"level": "global"}]
        + [{"level": "client", "client_id": c} for c in clients]
        + [{"level": "reseller", "client_id": c, "reseller_id": r} for c, r in resellers]
        + [{"level": "user", "client_id": c, "reseller_id": r, "user_id": u} for c, r, u in users[:50]],
        "sessions": sessions,
        "clients": clients,
        "last_day": max(date.fromisoformat(s["started_at"][:10]) for s in sessions),
    }


def call(handler: Any, path: str, params: dict[str, Any], principal: dict[str, str]) -> dict[str, Any]:
    response = handler.handler(http_api_event(path, params, principal), _Context())
    if response["statusCode"] != 200:
        raise RuntimeError(f"{path} {params}: {response['statusCode']} {response['body'][:300]}")
    return json.loads(response["body"])


def typical_params(last_day: date) -> dict[str, str]:
    return {
        "grain": "day",
        "from": (last_day - timedelta(days=RANGE_DAYS - 1)).isoformat(),
        "to": str(last_day),
    }


def planned_call(
    rng: random.Random, route: str, w: dict[str, Any]
) -> tuple[str, dict[str, Any], dict[str, str]]:
    principal = rng.choice(w["principals"])
    end = w["last_day"] - timedelta(days=rng.randint(0, 3))
    span = {"from": (end - timedelta(days=rng.randint(7, RANGE_DAYS) - 1)).isoformat(), "to": str(end)}
    if route == TYPICAL:
        return "/v1/metrics/sessions", {"grain": rng.choice(["day", "week"]), **span}, principal
    if route == ROUTES[1]:
        return "/v1/metrics/sessions/breakdown", {"grain": "day", **span}, principal
    if route == ROUTES[2]:
        return "/v1/metrics/products", {"grain": "day", **span, "limit": 20}, principal
    if route == ROUTES[3]:
        return "/v1/sessions", {"limit": 50}, principal
    session = rng.choice(w["sessions"])
    owner = {"level": "client", "client_id": session["client_id"]}
    return f"/v1/sessions/{session['session_id']}/requests", {"started_on": session["started_at"][:10]}, owner


def s3_reads_of(backend: Any, action: Any) -> tuple[int, int]:
    """The S3 requests and bytes `action` made (the handler's metrics take them per request)."""
    return s3_reads_in_detail(backend, action)[:2]


def s3_reads_in_detail(backend: Any, action: Any) -> tuple[int, int, int]:
    """The S3 requests and bytes `action` made, and how many of the requests were for data files."""
    before, data_before = backend.s3_totals, backend.s3_data_file_requests
    action()
    after = backend.s3_totals
    return after[0] - before[0], after[1] - before[1], backend.s3_data_file_requests - data_before


def timed(handler: Any, planned: tuple[str, dict[str, Any], dict[str, str]]) -> tuple[float, int]:
    started = time.perf_counter()
    response = handler.handler(http_api_event(*planned), _Context())
    return (time.perf_counter() - started) * 1000, response["statusCode"]


def cold_start(env: dict[str, str], last_day: date, client: str) -> dict[str, Any]:
    """Fresh interpreters: import the handler, then answer the typical call; ms of each part."""
    event = http_api_event(
        "/v1/metrics/sessions", typical_params(last_day), {"level": "client", "client_id": client}
    )
    code = (
        "import json, sys, time\n"
        "t0 = time.perf_counter()\n"
        "import api_lambda.handler as h\n"
        "t1 = time.perf_counter()\n"
        "class C:\n"
        "    function_name = 'api'; aws_request_id = 'b'; memory_limit_in_mb = 1024\n"
        "    invoked_function_arn = 'arn:aws:lambda:us-east-1:1:function:api'\n"
        f"r = h.handler(json.loads({json.dumps(event)!r}), C())\n"
        "t2 = time.perf_counter()\n"
        "assert r['statusCode'] == 200, r\n"
        "print(json.dumps([(t1 - t0) * 1000, (t2 - t1) * 1000]))\n"
    )
    runs = []
    for _ in range(COLD_SAMPLES + 1):
        child = run_child(python_cmd("-c", code), env=env).check()
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    runs = runs[1:]  # the first wrote the .pyc files, as a deployed package ships them
    return {
        "init_ms": round(median(r[0] for r in runs), 1),
        "first_query_ms": round(median(r[1] for r in runs), 1),
        "total_ms": round(median(r[0] + r[1] for r in runs), 1),
        "samples": COLD_SAMPLES,
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ is exactly `values` inside the block, and what it was before after it."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def measure(env: dict[str, str], layout: dict[str, Any], next_build: Callable[[], None]) -> dict[str, Any]:
    """Every serving figure, through the handler imported with the Lambda's settings `env` over
    the published marts whose layout is `layout`; `next_build` (the next build, compacted and
    published) runs between the figures before a publish and those after it, in the bench's own
    environment (its dbt runs do not see the Lambda's settings)."""
    outside = dict(os.environ)

    def build_outside() -> None:
        with _environment(outside):
            next_build()

    with _environment({**outside, **env}):
        sys.modules.pop("api_lambda.handler", None)
        try:
            handler = importlib.import_module("api_lambda.handler")
            return _measure(handler, env, layout, build_outside)
        finally:
            sys.modules.pop("api_lambda.handler", None)


def _measure(handler: Any, env: dict[str, str], layout: dict[str, Any], next_build: Any) -> dict[str, Any]:
    backend = handler.api.backend
    w = world(handler)
    client = w["clients"][0]
    typical = (
        "/v1/metrics/sessions",
        typical_params(w["last_day"]),
        {"level": "client", "client_id": client},
    )
    # Cold: a new container's first typical call reads everything; warm: the same call again.
    handler = importlib.reload(handler)
    backend = handler.api.backend
    cold_requests, cold_bytes, cold_data_requests = s3_reads_in_detail(
        backend, lambda: call(handler, *typical)
    )
    warm_requests, warm_bytes = s3_reads_of(backend, lambda: call(handler, *typical))
    # Warm p95 per route (and its S3 requests), after every route ran once.
    rng = random.Random(7)
    per_route: dict[str, Any] = {}
    for route in ROUTES:
        timed(handler, planned_call(rng, route, w))
        latencies, statuses, requests = [], [], []
        for _ in range(WARM_CALLS_PER_ROUTE):
            before = backend.s3_totals[0]
            ms, status = timed(handler, planned_call(rng, route, w))
            latencies.append(ms)
            statuses.append(status)
            requests.append(backend.s3_totals[0] - before)
        per_route[route] = {
            "calls": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "errors": sum(1 for s in statuses if s != 200),
            "s3_requests_mean": round(sum(requests) / len(requests), 2),
        }
    # After the next hourly build is published, a warm container reads only what it changed.
    next_build()
    time.sleep(1.5)
    published_requests, published_bytes, published_data_requests = s3_reads_in_detail(
        backend, lambda: call(handler, *typical)
    )
    load = load_test(handler, w)
    cold = cold_start(env, w["last_day"], client)
    mean_warm_ms = sum(r["p50_ms"] for r in per_route.values()) / len(per_route)
    return {
        "typical_call": {
            "route": TYPICAL,
            "range_days": RANGE_DAYS,
            "measured_buckets": layout["buckets"],
            "cold": {
                "s3_requests": cold_requests,
                "data_file_requests": cold_data_requests,
                "bytes": cold_bytes,
            },
            "warm": {"s3_requests": warm_requests, "bytes": warm_bytes},
            "after_a_publish": {
                "s3_requests": published_requests,
                "data_file_requests": published_data_requests,
                "bytes": published_bytes,
            },
            "at_10m_events_per_day": extrapolate(
                Reads(cold_requests, cold_data_requests, cold_bytes),
                Reads(published_requests, published_data_requests, published_bytes),
                warm_requests,
                layout,
            ),
        },
        "aggregate_layout": layout,
        "routes": per_route,
        "cold_start": cold,
        "load": load,
        "lambda_ms_per_call_p50_mean": round(mean_warm_ms, 1),
    }


@dataclass(frozen=True)
class Reads:
    """One call's S3 requests, those of them for data files, and the bytes received."""

    requests: int
    data_file_requests: int
    bytes: int


# Days of one client's day rows a 90-day range reads at worst: it crosses a new year, so it reads
# the whole bucket of the year before (up to 366 days) and the first days of the next one.
WORST_BUCKET_DAYS = 366 + RANGE_DAYS - 1
# Buckets a 90-day range of day rows touches at worst (year buckets: one, two across a new year).
WORST_BUCKETS = 2


def extrapolate(cold: Reads, published: Reads, warm_requests: int, layout: dict[str, Any]) -> dict[str, Any]:
    """The typical call over 90 days at 10M events/day, from the bucket layout measured here."""
    files_read = max(1, layout["files"])
    per_file = max(1.0, cold.data_file_requests / files_read)
    files_per_bucket = layout["files_per_bucket"] or 1
    data_requests = round(WORST_BUCKETS * files_per_bucket * per_file)
    # Metadata: the larger of the two cold reads measured (a new container, a warm one after a publish).
    metadata = max(cold.requests - cold.data_file_requests, published.requests - published.data_file_requests)
    # Bytes: per stored row of the buckets read (footers included: an over-estimate), times the
    # rows of the worst range; the metadata's bytes as measured.
    rows = max(1, layout["rows"])
    rows_per_day = rows / max(1, layout["days"])
    data_bytes = layout["bytes"] / rows * rows_per_day * WORST_BUCKET_DAYS
    metadata_bytes = max(0, cold.bytes - layout["bytes"])
    return {
        "method": "metadata requests as measured + 2 year buckets (a range across a new year)"
        " x files per bucket x requests per data file; bytes: a full year's bucket and 89 days",
        "events_per_day": ATHENA_EVENTS_PER_DAY,
        "metadata_requests": metadata,
        "data_file_requests": data_requests,
        "cold_s3_requests": metadata + data_requests,
        "cold_bytes": round(metadata_bytes + data_bytes),
        "warm_s3_requests": warm_requests,
        "note": "rows per bucket = clients x periods (not events): files and bytes per bucket do not"
        " grow with events; manifests grow with commits between manifest rewrites",
    }


def load_test(handler: Any, w: dict[str, Any]) -> dict[str, Any]:
    """LOAD_USERS users at once, each LOAD_CALLS_PER_USER mixed calls, on one handler."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def user(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        for _ in range(LOAD_CALLS_PER_USER):
            ms, status = timed(handler, planned_call(rng, rng.choice(ROUTES), w))
            with lock:
                latencies.append(ms)
                errors += status != 200

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=LOAD_USERS) as pool:
        list(pool.map(user, range(LOAD_USERS)))
    seconds = time.perf_counter() - started
    return {
        "users": LOAD_USERS,
        "calls": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "seconds": round(seconds, 1),
        "calls_per_second": round(len(latencies) / seconds, 1),
    }
