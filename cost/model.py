"""Monthly AWS bill of the deployed stack at 1M, 10M and 100M requests a day (`make cost`).

    python cost/model.py [--measurements FILE] [--save-measurements FILE] [--history-months 12]
                         [--api-queries-per-day 20000] [--json FILE] [--out DIR]

`make cost` passes `--out cost/results`: the report is written to cost/results/latest.md (and
the figures to latest.json), the one place the docs take the bill's figures from.

Sizes are measured, not guessed: raw gzip bytes per event, Parquet bytes per event (per mart
and per column) and the dbt project's shape come from cost/measure_local.py (the real
simulator, ingest and dbt build on this machine), or from --measurements (a file it saved).
When the bench has run, bench/results/latest.json's `cost_inputs` override the raw and Parquet
sizes and give the API's bytes scanned per query, which the bench derives from the Parquet
footers of the marts for each route. Without the bench, an API query is taken to scan every
column of the mart it reads for its 90-day range (no row-group pruning: an upper bound).

The naive design is the same stack where the API has no marts and scans the raw gzip JSON of
its 90-day range on every call (raw is partitioned by ingest date, so only the range is read).

Unit prices are AWS list prices for us-east-1 (PRICES, dated PRICES_AS_OF); the other
assumptions (call volume, durations, log sizes) are named constants below.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH_RESULTS = REPO / "bench" / "results" / "latest.json"

GB = 2**30
TB = 2**40
MB = 2**20
DAYS_PER_MONTH = 30.4

PRICES_AS_OF = "2026-11 (us-east-1 list prices, unchanged since 2023; check the AWS Pricing Calculator)"
PRICES = {
    "s3_storage_gb_month": 0.023,  # S3 Standard, first 50 TB
    "s3_put_per_1000": 0.005,  # PUT, COPY, POST, LIST
    "s3_get_per_1000": 0.0004,  # GET and all other reads
    "athena_per_tb": 5.00,  # per TB scanned
    "athena_min_bytes": 10 * MB,  # every query is billed at least 10 MB
    "lambda_arm_gb_second": 0.0000133334,
    "fargate_arm_vcpu_hour": 0.03238,  # Linux/ARM, per second with a 1-minute minimum
    "fargate_arm_gb_hour": 0.00356,
    "public_ipv4_hour": 0.005,  # the dbt task's public IP while it runs (no NAT gateway)
    "lambda_per_million": 0.20,
    "logs_ingest_gb": 0.50,  # CloudWatch Logs standard ingestion
    "logs_storage_gb_month": 0.03,
    "metric_month": 0.30,  # custom (EMF) metric
    "alarm_month": 0.10,  # standard-resolution alarm
    "http_api_per_million": 1.00,  # API Gateway HTTP API, first 300M
    "kms_key_month": 1.00,
    "kms_per_10000": 0.03,
}

SCALES = (1_000_000, 10_000_000, 100_000_000)

# Deployment facts (terraform/): schedules, sizes, the API's query range.
INGEST_RUNS_PER_DAY = 24 * 6  # rate(10 minutes)
DBT_RUNS_PER_DAY = 24  # rate(1 hour), the default: models only
DBT_TESTED_RUNS_PER_DAY = 1  # cron(30 2 * * ? *): models and every data test (dbt_data_tests_every_run=false)
PART_MAX_BYTES = 64 * MB  # ingest PART_MAX_BYTES: one raw object per this many bytes
API_RANGE_DAYS = 90  # a dashboard's usual range
INGEST_MEMORY_GB = 1.0
DBT_TASK_VCPU = 1.0  # var.dbt_task.cpu = 1024
DBT_TASK_MEMORY_GB = 4.0  # var.dbt_task.memory = 4096
API_MEMORY_GB = 1.0  # var.api_settings.memory_size = 1024 (DuckDB's file cache lives in it)
API_POINTER_REFRESH_SECONDS = 30  # var.api_settings.pointer_refresh_seconds
DBT_THREADS = 2  # profiles.yml, target athena
DATA_TEST_DAYS = 7  # var data_test_days: the days of partitions a data test reads on Athena
EMF_METRICS = (
    6  # EventsRead, EventsLanded, LinesSkipped, EventsQuarantined, RunDurationMs, CheckpointLagSeconds
)
ALARMS = 5

# Assumptions (not measurable without an AWS account): named so they can be changed and argued.
API_QUERIES_PER_DAY = 20_000  # e.g. 500 people opening 40 views a day
API_CONTAINERS = 5  # warm API containers at that traffic, each re-reading what a publish changed
# Without bench results (bench/stages/serve.py measures these through the handler on the twin):
API_SECONDS_PER_CALL = 0.1  # a warm call reads from DuckDB's cache
API_S3_REQUESTS_WARM = 1  # at most the pointer's check
# The aggregate's metadata (HEAD + GET, manifest list, ~5 manifests) + one compacted bucket file:
# the twin's figure after an incremental run (ADR 0010, docs/serving.md).
API_S3_REQUESTS_NEW_VERSION = 9
DBT_SECONDS_PER_QUERY = 3.0  # Athena round trip of one statement
NAIVE_API_SECONDS_PER_CALL = 1.5  # the naive API waits for Athena
DBT_TASK_START_SECONDS = 90  # Fargate: provisioning, pulling the public image, fetching the bundle
API_LOG_BYTES_PER_CALL = 1500  # function log lines + access log line
INGEST_LOG_BYTES_PER_RUN = 4000
DBT_LOG_BYTES_PER_QUERY = 2000
GETS_PER_QUERY = 20  # objects Athena opens per query (footers, row groups)
DBT_DAYS_REWRITTEN_PER_RUN = 2  # today and the late events' day, as whole event-date partitions
KMS_REQUESTS_PER_MONTH = 50_000  # S3 bucket keys make this small

# Without bench results: the mart and columns each main route reads (docs/contracts.md section 3)
# at grain=day (the aggregates are partitioned by grain and period), every row group of its
# 90 days: no pruning by tenant, so an upper bound.
API_ROUTES = {
    "sessions series": (
        "agg_session_metrics[grain=day]",
        ("grain", "level", "client_id", "reseller_id", "user_id", "period_start", "sessions", "requests"),
    ),
    "products": (
        "agg_product_metrics[grain=day]",
        tuple(
            [
                "grain",
                "level",
                "client_id",
                "reseller_id",
                "user_id",
                "period_start",
                "product_id",
                "product_name",
                "category",
                "currency",
                "requests",
                "sessions",
                "quantity",
                "revenue",
            ]
        ),
    ),
    "sessions list": (
        "fct_sessions",
        (
            "session_id",
            "client_id",
            "reseller_id",
            "user_id",
            "started_at",
            "ended_at",
            "requests",
            "started_on",
        ),
    ),
}


@dataclass(frozen=True)
class Inputs:
    raw_gzip_bytes_per_event: float
    parquet_bytes_per_event: float
    # Per API route: bytes one query of it scans per daily event (calls spread evenly over them).
    api_route_bytes_per_event_per_day: list[float]
    test_bytes_per_event: list[float]  # per dbt data test: bytes of what it scans per event it tests
    raw_readers: int
    table_models: int
    ingest_events_per_second: float
    source: str
    # The API reading the published marts (ADR 0008): S3 requests of a typical call in a warm
    # container and in one that has not read the version yet, and Lambda seconds per call.
    # The twin's measurement of dbt on Athena's engine (bench twin stage), when there is one:
    # bytes scanned per event of the day by the largest hourly run (the day's last hour) and by
    # the daily data-test run, and their queries reading data (each billed at least 10 MB).
    dbt_run_bytes_per_event: float | None = None
    dbt_run_queries: int = 0
    dbt_test_bytes_per_event: float | None = None
    dbt_test_queries: int = 0
    api_s3_requests_warm: float = API_S3_REQUESTS_WARM
    api_s3_requests_new_version: float = API_S3_REQUESTS_NEW_VERSION
    api_seconds_per_call: float = API_SECONDS_PER_CALL

    @property
    def api_bytes_per_query_per_event_per_day(self) -> float:
        """The mean over the routes: what one API call scans per daily event."""
        routes = self.api_route_bytes_per_event_per_day
        return sum(routes) / len(routes)


def inputs_from(measured: dict[str, Any], bench: dict[str, Any] | None) -> Inputs:
    """Per-event sizes from the local measurement, overridden by the bench's where it has them."""
    requests = measured["requests"]
    marts = measured["marts"]

    def per_event(mart: str, column: str | None = None) -> float:
        """Bytes per request of a mart's column (the whole mart for None; 0 for a column it lacks)."""
        table = marts[mart]
        return (table["bytes"] if column is None else table["columns"].get(column, 0)) / requests

    tests = []
    for test in measured["project"]["data_tests"]:
        tables = [t for t in test["tables"] if t in marts]
        column = test["column"]
        if not tables or (column is not None and not any(column in marts[t]["columns"] for t in tables)):
            # A test on an intermediate model or on an expression: take the whole (largest) table.
            tables, column = tables or ["fct_requests"], None
        tests.append(sum(per_event(t, column) for t in tables))
    api_routes = [
        API_RANGE_DAYS * sum(per_event(mart, c) for c in columns) for mart, columns in API_ROUTES.values()
    ]
    raw = measured["raw_gzip_bytes_per_event"]
    parquet = measured["parquet_mart_bytes_per_event"]
    source = measured["source"]
    dbt: dict[str, Any] = {}
    serving = {
        "api_s3_requests_warm": float(API_S3_REQUESTS_WARM),
        "api_s3_requests_new_version": float(API_S3_REQUESTS_NEW_VERSION),
        "api_seconds_per_call": API_SECONDS_PER_CALL,
    }
    if bench:
        measured_serving = (bench.get("cost_inputs") or {}).get("serving") or {}
        serving.update({k: float(v) for k, v in measured_serving.items() if k in serving and v is not None})
        inputs = bench.get("cost_inputs") or {}
        raw = inputs.get("raw_gzip_bytes_per_event") or raw
        parquet = inputs.get("parquet_mart_bytes_per_event") or parquet
        at_10m = inputs.get("athena_bytes_per_query_90d_at_10m_events_per_day") or {}
        if at_10m:
            api_routes = [route / 10_000_000 for route in at_10m.values()]
        twin = inputs.get("twin_dbt") or {}
        for kind in ("run", "test"):
            measured_run = twin.get(kind) or {}
            if measured_run.get("scanned_bytes_at_10m_events_per_day") is not None:
                dbt[f"dbt_{kind}_bytes_per_event"] = measured_run["scanned_bytes_at_10m_events_per_day"] / 1e7
                dbt[f"dbt_{kind}_queries"] = int(measured_run.get("queries_reading_data") or 0)
        source += " + bench/results/latest.json cost_inputs"
    return Inputs(
        raw_gzip_bytes_per_event=raw,
        parquet_bytes_per_event=parquet,
        api_route_bytes_per_event_per_day=api_routes,
        test_bytes_per_event=tests,
        raw_readers=len(measured["project"]["raw_readers"]),
        table_models=measured["project"]["table_models"],
        ingest_events_per_second=measured.get("ingest_events_per_second", 5000.0),
        source=source,
        **dbt,
        **serving,
    )


def athena_cost(bytes_scanned: float, queries: float) -> float:
    """Athena's bill for `queries` queries scanning `bytes_scanned` in all (each at least 10 MB)."""
    per_query = bytes_scanned / queries if queries else 0.0
    billed = queries * max(per_query, PRICES["athena_min_bytes"])
    return billed / TB * PRICES["athena_per_tb"]


def lambda_cost(invocations: float, seconds: float, memory_gb: float) -> float:
    return (
        invocations * seconds * memory_gb * PRICES["lambda_arm_gb_second"]
        + invocations / 1e6 * PRICES["lambda_per_million"]
    )


def fargate_cost(tasks: float, seconds: float, vcpu: float, memory_gb: float) -> float:
    """Fargate (ARM) bills vCPU and memory per second, at least a minute a task; plus its public IP."""
    hours = tasks * max(seconds, 60) / 3600
    return hours * (
        vcpu * PRICES["fargate_arm_vcpu_hour"]
        + memory_gb * PRICES["fargate_arm_gb_hour"]
        + PRICES["public_ipv4_hour"]
    )


def monthly_bill(
    events_per_day: int,
    inputs: Inputs,
    history_months: int = 12,
    api_queries_per_day: int = API_QUERIES_PER_DAY,
    naive: bool = False,
    tests_every_run: bool = False,
) -> dict[str, float]:
    """Dollars per month, by component, once `history_months` of data are in the lake."""
    n = events_per_day
    history_events = n * DAYS_PER_MONTH * history_months
    raw_day = inputs.raw_gzip_bytes_per_event * n
    api_calls = api_queries_per_day * DAYS_PER_MONTH
    bill: dict[str, float] = {}

    # S3: raw and marts for the whole history (the naive design keeps no marts).
    stored = inputs.raw_gzip_bytes_per_event * history_events
    if not naive:
        stored += inputs.parquet_bytes_per_event * history_events
    bill["S3 storage"] = stored / GB * PRICES["s3_storage_gb_month"]
    raw_objects_per_run = max(1, math.ceil(raw_day / INGEST_RUNS_PER_DAY / PART_MAX_BYTES))
    puts = INGEST_RUNS_PER_DAY * (raw_objects_per_run + 1) * DAYS_PER_MONTH  # + the checkpoint
    gets = INGEST_RUNS_PER_DAY * DAYS_PER_MONTH + api_calls * GETS_PER_QUERY

    # Athena, dbt: the staging model re-reads today's raw partition on each run (so a day's raw is
    # read (R+1)/2 times, plus once more by the next day's first run), downstream models rewrite
    # whole event days from Parquet, and every data test scans its column over all history.
    tested_runs = DBT_RUNS_PER_DAY if tests_every_run else DBT_TESTED_RUNS_PER_DAY
    runs = (DBT_RUNS_PER_DAY + (0 if tests_every_run else DBT_TESTED_RUNS_PER_DAY)) * DAYS_PER_MONTH
    dbt_queries = runs * 2 * inputs.table_models + tested_runs * DAYS_PER_MONTH * len(
        inputs.test_bytes_per_event
    )
    if naive:
        bill["Athena (dbt models)"] = bill["Athena (dbt tests)"] = 0.0
    else:
        runs_per_day = runs / DAYS_PER_MONTH
        raw_reads = raw_day * ((runs_per_day + 1) / 2 + 1) * inputs.raw_readers
        rewrites = runs_per_day * DBT_DAYS_REWRITTEN_PER_RUN * inputs.parquet_bytes_per_event * n
        bill["Athena (dbt models)"] = runs * athena_cost(
            (raw_reads + rewrites) / runs_per_day, 2 * inputs.table_models
        )
        if inputs.dbt_run_bytes_per_event is not None:
            # Measured on the twin (Athena's engine) instead: every run priced as the day's
            # largest, the last hour's (an upper bound: earlier runs read less of their day).
            bill["Athena (dbt models)"] = runs * athena_cost(
                inputs.dbt_run_bytes_per_event * n, inputs.dbt_run_queries
            )
        # On Athena every data test reads only the last `data_test_days` days' partitions
        # (dbt_project/macros/tests/recent_partitions.sql), not all of history.
        tested_events = n * min(DATA_TEST_DAYS, DAYS_PER_MONTH * history_months)
        test_bytes = sum(
            max(b * tested_events, PRICES["athena_min_bytes"]) for b in inputs.test_bytes_per_event
        )
        bill["Athena (dbt tests)"] = tested_runs * DAYS_PER_MONTH * test_bytes / TB * PRICES["athena_per_tb"]
        if inputs.dbt_test_bytes_per_event is not None:
            bill["Athena (dbt tests)"] = (
                tested_runs
                * DAYS_PER_MONTH
                * athena_cost(inputs.dbt_test_bytes_per_event * n, inputs.dbt_test_queries)
            )
        puts += runs * inputs.table_models * DBT_DAYS_REWRITTEN_PER_RUN
        gets += dbt_queries * GETS_PER_QUERY

    # The API. This design: DuckDB in the Lambda reads the published marts (S3 GETs and HEADs, no
    # Athena). Naive: each call scans the raw JSON of its 90-day range on Athena.
    if naive:
        per_query = inputs.raw_gzip_bytes_per_event * n * API_RANGE_DAYS
        gets += api_calls * API_RANGE_DAYS * raw_objects_per_run * INGEST_RUNS_PER_DAY
        bill["Athena (API)"] = athena_cost(per_query * api_calls, api_calls)
    else:
        bill["S3 requests (API)"] = api_s3_requests(inputs, api_calls) / 1000 * PRICES["s3_get_per_1000"]
    bill["S3 requests"] = puts / 1000 * PRICES["s3_put_per_1000"] + gets / 1000 * PRICES["s3_get_per_1000"]

    # Lambda: ingest every 10 minutes and the API per call; dbt runs as a Fargate task (ADR 0005).
    ingest_seconds = 2 + n / INGEST_RUNS_PER_DAY / inputs.ingest_events_per_second
    dbt_seconds = DBT_TASK_START_SECONDS + 30 + dbt_queries / runs * DBT_SECONDS_PER_QUERY / DBT_THREADS
    api_seconds = inputs.api_seconds_per_call if not naive else NAIVE_API_SECONDS_PER_CALL
    bill["Lambda"] = lambda_cost(INGEST_RUNS_PER_DAY * DAYS_PER_MONTH, ingest_seconds, INGEST_MEMORY_GB) + (
        lambda_cost(api_calls, api_seconds, API_MEMORY_GB)
    )
    bill["Fargate (dbt)"] = 0 if naive else fargate_cost(runs, dbt_seconds, DBT_TASK_VCPU, DBT_TASK_MEMORY_GB)

    # CloudWatch: this stack's own logs (the app's log lines are its existing cost), EMF metrics, alarms.
    log_bytes = (
        api_calls * API_LOG_BYTES_PER_CALL
        + INGEST_RUNS_PER_DAY * DAYS_PER_MONTH * INGEST_LOG_BYTES_PER_RUN
        + (0 if naive else dbt_queries * DBT_LOG_BYTES_PER_QUERY)
    )
    retained = log_bytes * min(history_months, 12)  # 365-day retention
    bill["CloudWatch"] = (
        log_bytes / GB * PRICES["logs_ingest_gb"]
        + retained / GB * PRICES["logs_storage_gb_month"]
        + EMF_METRICS * PRICES["metric_month"]
        + ALARMS * PRICES["alarm_month"]
    )
    bill["API Gateway"] = api_calls / 1e6 * PRICES["http_api_per_million"]
    bill["KMS"] = PRICES["kms_key_month"] + KMS_REQUESTS_PER_MONTH / 10_000 * PRICES["kms_per_10000"]
    bill["total"] = sum(bill.values())
    return bill


def api_s3_requests(inputs: Inputs, api_calls: float) -> float:
    """S3 requests of the API in a month: every call's (warm), each container's first read of every
    published version, and each container's pointer checks (a HEAD and a GET)."""
    publishes = (DBT_RUNS_PER_DAY + DBT_TESTED_RUNS_PER_DAY) * DAYS_PER_MONTH
    pointer_checks = 86_400 / API_POINTER_REFRESH_SECONDS * DAYS_PER_MONTH * 2
    return api_calls * inputs.api_s3_requests_warm + API_CONTAINERS * (
        publishes * inputs.api_s3_requests_new_version + pointer_checks
    )


def athena_api_bill(events_per_day: int, inputs: Inputs, api_calls: float) -> float:
    """What the API's Athena queries cost before ADR 0008 (one query per call on the marts).

    Each route's calls billed apart: a route under Athena's 10 MB minimum pays the minimum
    whatever the others scan (billing the routes' mean would hide it)."""
    routes = inputs.api_route_bytes_per_event_per_day
    calls = api_calls / len(routes)
    return sum(athena_cost(route * events_per_day * calls, calls) for route in routes)


def api_scan_bytes(events_per_day: int, inputs: Inputs, naive: bool) -> float:
    if naive:
        return inputs.raw_gzip_bytes_per_event * events_per_day * API_RANGE_DAYS
    return inputs.api_bytes_per_query_per_event_per_day * events_per_day


def dbt_source(inputs: Inputs) -> str:
    """Where the Athena lines for dbt come from."""
    if inputs.dbt_run_bytes_per_event is None:
        return (
            "Athena for dbt: estimated from the sizes (raw read back per run, days of marts rewritten);"
            " no twin measurement in the bench results."
        )
    return (
        "Athena for dbt: measured on the twin (Athena's engine, `make bench` twin stage):"
        f" {human_bytes(inputs.dbt_run_bytes_per_event * 1e7)} per hourly run at 10M events/day"
        f" ({inputs.dbt_run_queries} queries), every run priced as the day's last and largest;"
        f" {human_bytes((inputs.dbt_test_bytes_per_event or 0) * 1e7)} per daily test run."
    )


def human_bytes(value: float) -> str:
    for unit, size in (("TB", TB), ("GB", GB), ("MB", MB), ("KB", 1024)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value:.0f} B"


def report(inputs: Inputs, history_months: int, api_queries_per_day: int) -> tuple[str, dict[str, Any]]:
    bills = {
        (n, naive): monthly_bill(n, inputs, history_months, api_queries_per_day, naive)
        for n in SCALES
        for naive in (False, True)
    }
    header = "| component | " + " | ".join(f"{n // 1_000_000}M req/day" for n in SCALES) + " |"
    lines = [
        f"Monthly bill in USD after {history_months} months of data, "
        f"{api_queries_per_day:,} API calls a day.",
        "",
        f"Prices: {PRICES_AS_OF}. Measured: {inputs.source}.",
        "",
        f"Raw gzip {inputs.raw_gzip_bytes_per_event:.1f} B/event, marts Parquet "
        f"{inputs.parquet_bytes_per_event:.1f} B/event, {len(inputs.test_bytes_per_event)} dbt data tests, "
        f"{inputs.table_models} table models.",
        "",
        dbt_source(inputs),
        "",
        "This design (API reads the marts):",
        "",
        header,
        "|---|" + "---:|" * len(SCALES),
    ]
    for component in bills[(SCALES[0], False)]:
        cells = " | ".join(f"{bills[(n, False)][component]:,.2f}" for n in SCALES)
        lines.append(f"| {'**total**' if component == 'total' else component} | {cells} |")
    every_run = " | ".join(
        f"{monthly_bill(n, inputs, history_months, api_queries_per_day, tests_every_run=True)['total']:,.2f}"
        for n in SCALES
    )
    lines.append(f"| total with the data tests in every hourly run | {every_run} |")
    calls = api_queries_per_day * DAYS_PER_MONTH
    athena = " | ".join(f"{athena_api_bill(n, inputs, calls):,.2f}" for n in SCALES)
    lines.append(f"| (not in the total) Athena per API call instead, the design before ADR 0008 | {athena} |")
    lines += [
        "",
        f"The API reads the published marts from S3 (ADR 0008): "
        f"{inputs.api_s3_requests_warm:g} S3 requests per warm call, "
        f"{inputs.api_s3_requests_new_version:g} when a container reads a new version "
        f"({API_CONTAINERS} containers x {DBT_RUNS_PER_DAY + DBT_TESTED_RUNS_PER_DAY} publishes a day), "
        f"{inputs.api_seconds_per_call * 1000:.0f} ms of Lambda per call at {API_MEMORY_GB:g} GB.",
    ]
    lines += [
        "",
        "Naive design (no marts, the API scans the raw JSON of its 90-day range on every call):",
        "",
        header,
        "|---|" + "---:|" * len(SCALES),
    ]
    for component in ("Athena (API)", "total"):
        cells = " | ".join(f"{bills[(n, True)][component]:,.2f}" for n in SCALES)
        lines.append(f"| {'**total**' if component == 'total' else component} | {cells} |")
    scans = " | ".join(
        f"{human_bytes(api_scan_bytes(n, inputs, False))} vs {human_bytes(api_scan_bytes(n, inputs, True))}"
        for n in SCALES
    )
    lines += ["", "Bytes scanned per API call (marts vs raw):", "", header, "|---|" + "---:|" * len(SCALES)]
    lines.append(f"| per call | {scans} |")
    data = {
        "prices_as_of": PRICES_AS_OF,
        "prices": PRICES,
        "history_months": history_months,
        "api_queries_per_day": api_queries_per_day,
        "inputs": inputs.__dict__,
        "design": {str(n): bills[(n, False)] for n in SCALES},
        "naive": {str(n): bills[(n, True)] for n in SCALES},
    }
    return "\n".join(lines) + "\n", data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--measurements", type=Path, help="a file --save-measurements wrote (skips measuring)"
    )
    parser.add_argument("--save-measurements", type=Path, help="write the local measurement here")
    parser.add_argument("--bench", type=Path, default=BENCH_RESULTS, help="bench results (used when present)")
    parser.add_argument(
        "--history-months", type=int, default=12, help="months of data in the lake (default 12)"
    )
    parser.add_argument("--api-queries-per-day", type=int, default=API_QUERIES_PER_DAY)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--out", type=Path, help="also write DIR/latest.md and DIR/latest.json (make cost: cost/results)"
    )
    args = parser.parse_args(argv)
    if args.history_months < 1 or args.api_queries_per_day < 0:
        parser.error("--history-months must be >= 1 and --api-queries-per-day >= 0")
    if args.measurements:
        measured = json.loads(args.measurements.read_text())
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from measure_local import measure

        measured = measure()
        if args.save_measurements:
            args.save_measurements.parent.mkdir(parents=True, exist_ok=True)
            args.save_measurements.write_text(json.dumps(measured, indent=2) + "\n")
    bench = json.loads(args.bench.read_text()) if args.bench.is_file() else None
    text, data = report(inputs_from(measured, bench), args.history_months, args.api_queries_per_day)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    if args.out:
        write_results(args.out, text, data, argv if argv is not None else sys.argv[1:])
    return 0


def write_results(out: Path, text: str, data: dict[str, Any], argv: list[str]) -> None:
    """The report as published: latest.md (what the docs link to) and latest.json, with when and how."""
    out.mkdir(parents=True, exist_ok=True)
    generated_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    command = " ".join(["python cost/model.py", *argv])
    header = f"Generated by `make cost` (`{command}`) on {generated_at}.\n\n"
    (out / "latest.md").write_text(f"# Monthly AWS bill (generated)\n\n{header}{text}")
    (out / "latest.json").write_text(
        json.dumps({"generated_at": generated_at, "command": command, **data}, indent=2) + "\n"
    )
    print(f"wrote {out / 'latest.md'} and {out / 'latest.json'}")


if __name__ == "__main__":
    sys.exit(main())
