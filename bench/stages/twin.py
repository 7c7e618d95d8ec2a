"""The AWS twin: dbt's full build and incremental run on Trino, the bytes Athena would scan, from
Trino's own statistics (bench/twin_bytes.py), and the serving figures (bench/stages/serve.py,
reported as `stages.serve`) on the same twin and builds.

The twin runs on a subset of the bench's simulated lake: the last TWIN_BASE_DAYS base days, each
filed in its own day's ingest_date partition as the hourly ingest lands them, and then day 31.
Trino over moto on two shared cores takes minutes per full build of the whole month, which
`make bench`'s 15 minutes cannot hold. The bytes figures are per day partition, so the subset
does not change them beyond the data tests' window, which the subset covers
(TWIN_BASE_DAYS >= the tests' data_test_days). The twin's wall times are information (Trino on
this machine over moto is not Athena), beside DuckDB's `dbt run` of the full build and of the
first incremental run on the same subset (the last hour's run is the twin's alone).

In the order production runs them, on one twin:

1. Full build: `dbt run` on each engine (models only, as the dbt stage).
2. The twin's build is compacted (`compact_served_aggregates`, as dbt_runner/build.py does
   before every publish) and published; the serving figures before a publish are taken.
3. Day 31 lands as the hourly ingest lands it (bench/hourly.py): its hours before the last,
   then the incremental run on each engine, compacted and published; then its last hour, and
   the run measured on the twin. The measured run's bytes: the sum of
   `physicalInputDataSize` over its queries (Trino's `/v1/query` list before and after),
   beside the raw bytes its hour landed and the bytes of the mart objects it wrote (S3
   listing, LastModified after its start). Each run reads a lake compacted after the build
   before it, as every production run does.
4. The last run is compacted and published; the serving figures after a publish are taken.
5. Bytes of the daily test run: `dbt test` on the twin with the default `data_test_days`,
   as it runs the day after day 31 landed (the window is moved to that day, since the bench's
   data is dated in the past; `run_started_at` is the real clock), TEST_THREADS at once.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.hourly import lines_by_hour, split_delivery_day
from bench.measure import REPO, ChildRun, dbt_executable, progress, ratio, remove_database, run_child
from bench.stages import serve
from bench.stages.data import Dataset
from bench.stages.dbt import dbt_command, lake_of_days, new_day_landed_at
from bench.stages.ingest import land, raw_bytes
from bench.targets import ATHENA_EVENTS_PER_DAY, ATHENA_MIN_BILLED_BYTES, HOURLY_SCAN_MAX_RATIO
from bench.twin_bytes import (
    QueryBytes,
    Written,
    daily_tests_at_scale,
    hourly_increment_at_scale,
    query_bytes,
    run_figures,
    written_since,
)

TWIN_BASE_DAYS = 7
# The hour of day 31 whose hourly run is measured: the day's last, when the day partitions an
# hourly run reads are fullest (its largest run of the day).
LAST_HOUR = 23
# Trino reads a Parquet file under its small-file threshold whole; the bench's files are about a
# hundredth of production's, which are read by column chunk (docs/twin.md).
BENCH_PARQUET_SMALL_FILE_KB = 0
# Trino's (and Athena's engine's) default limit of stages per query: the bench runs what Athena
# would accept. (Before the aggregates inlined their changed sessions' dates, agg_session_metrics'
# incremental statement planned into 255 stages here and failed.)
BENCH_MAX_STAGES = 150  # twin.settings.DEFAULT_MAX_STAGES
# The data tests' default window (dbt_project/macros/tests/recent_partitions.sql).
DATA_TEST_DAYS = 7
# dbt threads of the daily test run (the profile's 2 for the runs, whose wall time is a figure).
# Its figure is bytes, summed over its queries, which do not depend on how many run at once; its
# queries wait on the twin more than they compute, so 4 at once end sooner (measured here at
# 300k events: about 68 s against 84 to 94 s with 2, the same bytes in the same 111 queries).
TEST_THREADS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def trino_queries(endpoint: str) -> dict[str, dict[str, Any]]:
    """Every query Trino still lists (its BasicQueryInfo JSON), by id."""
    request = urllib.request.Request(f"{endpoint}/v1/query", headers={"X-Trino-User": "bench"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        return {info["queryId"]: info for info in json.loads(response.read())}


class Twin:
    """A twin of the bench's own (state under the work dir, free loopback ports)."""

    def __init__(self, work: Path) -> None:
        from twin.settings import TwinSettings

        env = {
            **os.environ,
            "TWIN_STATE_DIR": str(work / "twin-state"),
            "TWIN_TRINO_PORT": str(free_port()),
            "TWIN_S3_PORT": str(free_port()),
            "TWIN_HEAP_GB": "3",
            "TWIN_MAX_STAGES": str(BENCH_MAX_STAGES),
            "TWIN_PARQUET_SMALL_FILE_KB": str(BENCH_PARQUET_SMALL_FILE_KB),
        }
        self.settings = TwinSettings.from_env(env)
        self.work = work

    def up(self) -> float:
        from twin.servers import up

        return up(self.settings)

    def down(self) -> None:
        from twin.servers import down

        down(self.settings)

    def load(self, lake: Path) -> None:
        """The lake's raw files the bucket lacks, and the raw table's partitions."""
        from twin.lake import claim_lake, declare_raw_table, upload_raw

        settings = replace(self.settings, lake_root=lake)
        claim_lake(settings)
        upload_raw(settings)
        declare_raw_table(settings)

    def dbt(self, command: str, *args: str) -> tuple[ChildRun, list[QueryBytes], float]:
        """`dbt <command> --target twin`; the run, its queries' bytes and when it started (epoch)."""
        from twin.__main__ import dbt_environment

        before = set(trino_queries(self.settings.trino_endpoint))
        started = time.time()
        cmd = [
            dbt_executable(),
            command,
            *("--project-dir", str(REPO / "dbt_project"), "--profiles-dir", str(REPO)),
            *("--target", "twin", "--target-path", str(self.work / "twin-target")),
            *("--log-path", str(self.work / "twin-logs"), *args),
        ]
        child = run_child(cmd, env=dbt_environment(self.settings))
        after = trino_queries(self.settings.trino_endpoint)
        infos = [info for qid, info in after.items() if qid not in before]
        # Every statement with its bytes, kept in the work dir to see where a run's bytes go.
        log = (
            self.work
            / f"twin-queries-{command}-{len(list(self.work.glob(f'twin-queries-{command}-[0-9]*')))}.json"
        )
        log.write_text(json.dumps(infos, indent=1))
        return child, query_bytes(infos), started

    def written_mart_bytes(self, since: float) -> Written:
        """What was written under dbt's data directory since `since` (bench/twin_bytes.py)."""
        from twin.servers import s3_client
        from twin.terraform_names import terraform_names

        names = terraform_names()
        prefix = names.marts_data_dir.removeprefix(f"s3://{names.lake_bucket}/")
        s3 = s3_client(self.settings)
        objects = [
            (item["Key"].removeprefix(prefix), item["Size"], item["LastModified"].timestamp())
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names.lake_bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        return written_since(objects, since)


def engine_run(child: ChildRun) -> dict[str, Any]:
    return {"seconds": round(child.seconds, 3), "cpu_seconds_of_dbt": round(child.cpu_seconds, 3)}


def data_test_window(new_day: date, today: date) -> int:
    """data_test_days that puts the tests' window where the default one is the day after `new_day`
    lands (the bench's data is dated in the past; the window counts back from the real clock)."""
    return DATA_TEST_DAYS + max(0, (today - (new_day + timedelta(days=1))).days)


def run_stage(data: Dataset, lake: Path, work: Path) -> dict[str, Any]:
    """The twin's figures, with the serve stage's (bench/stages/serve.py) under "serve"."""
    first_day = data.base_end - timedelta(days=TWIN_BASE_DAYS - 1)
    subset = work / "lake-twin"
    # One ingest_date partition per base day, the day itself, as the hourly ingest lands them in
    # production: staging's read-back of the latest partition already read is then that day's
    # raw data, not the whole subset. (The bench's own lake holds day 31 in another partition.)
    files = lake_of_days(
        lake,
        subset,
        first_day,
        data.base_end,
        f"ingest_date={new_day_landed_at(data).date().isoformat()}",
        landed_days_after=0,
    )
    # Day 31 lands as the hourly ingest lands it: its hours before the last in one landing (and
    # dbt run), then its last hour, whose run is the one measured.
    new_day = data.new_day.isoformat()
    day_log = next(data.new_day_logs.glob("*.log"))
    split = split_delivery_day(day_log, lines_by_hour(data.manifest, new_day), LAST_HOUR, work / "day-31")
    day_start = datetime(data.new_day.year, data.new_day.month, data.new_day.day, tzinfo=UTC)
    hours_landed_at = day_start + timedelta(hours=LAST_HOUR, minutes=5)
    last_hour_landed_at = day_start + timedelta(hours=LAST_HOUR, minutes=59, seconds=30)
    warehouse = work / "warehouse-twin-subset.duckdb"
    remove_database(warehouse)
    twin = Twin(work)
    phases: dict[str, float] = {}
    progress("twin: starting moto and Trino (the bench's own, on free ports)")
    start_seconds = twin.up()
    try:
        progress(f"twin: full build on DuckDB and the twin ({TWIN_BASE_DAYS} base days, {files} raw files)")
        duck_full, _ = dbt_command("run", subset, warehouse, work)
        twin.load(subset)
        twin_full, full_queries, _ = twin.dbt("run")
        twin_full.check()
        progress("twin: compaction of the served aggregates, then publish (as every build does)")
        with _phase(phases, "compact_and_publish_full_build"):
            serve.compact(twin)
            serve.publish(twin)
            layout = serve.aggregate_layout(twin)
        incremental: dict[str, Any] = {}

        def next_build() -> None:
            """Day 31 lands hour by hour: its first hours, the incremental run on DuckDB and on the
            twin, compaction and publish; then its last hour and the run measured for its bytes,
            compaction and publish, which the serving figures after a publish read."""
            started_next = time.perf_counter()
            progress(
                f"twin: day 31 ({new_day}) hours 0-{LAST_HOUR - 1} land "
                f"({split.lines_before} lines); incremental run on DuckDB and on the twin"
            )
            ingest, _ = land(split.before, subset, hours_landed_at)
            incremental["events_before"] = ingest["summary"]["landed"]
            incremental["duckdb"], _ = dbt_command("run", subset, warehouse, work)
            twin.load(subset)
            run, queries_before, _ = twin.dbt("run")
            incremental["twin"], incremental["queries_before"] = run.check(), queries_before
            with _phase(phases, "compact_and_publish_incremental"):
                serve.compact(twin)
                serve.publish(twin)
            progress(f"twin: day 31's last hour lands ({split.lines_of_hour} lines); the measured hourly run")
            raw_before = raw_bytes(subset, new_day)
            ingest, _ = land(split.hour_logs, subset, last_hour_landed_at)
            incremental["events_of_hour"] = ingest["summary"]["landed"]
            incremental["new_raw"] = raw_bytes(subset, new_day) - raw_before
            twin.load(subset)
            run, queries, started = twin.dbt("run")
            incremental["twin_last_hour"], incremental["queries"] = run.check(), queries
            incremental["rewritten"] = twin.written_mart_bytes(started)
            progress("twin: compaction and publish of the hourly run")
            serve.compact(twin)
            serve.publish(twin)
            phases["next_build"] = round(time.perf_counter() - started_next, 1)

        progress("serve: the API through the Lambda handler over the published marts")
        with _phase(phases, "serve_with_next_build"):
            serving = serve.measure(serve.lambda_environment(twin), layout, next_build)
        window = data_test_window(data.new_day, datetime.now(UTC).date())
        progress(f"twin: the daily dbt test run (data_test_days {DATA_TEST_DAYS}, as the day after day 31)")
        tests, test_queries, _ = twin.dbt(
            "test", "--threads", str(TEST_THREADS), "--vars", json.dumps({"data_test_days": window})
        )
    finally:
        with _phase(phases, "stop"):
            twin.down()
        shutil.rmtree(subset, ignore_errors=True)
        remove_database(warehouse)
    duck_inc, twin_inc, inc_queries = incremental["duckdb"], incremental["twin"], incremental["queries"]
    twin_hour = incremental["twin_last_hour"]
    events = incremental["events_before"] + incremental["events_of_hour"]
    new_raw, written = incremental["new_raw"], incremental["rewritten"]
    inc = run_figures(inc_queries, ATHENA_MIN_BILLED_BYTES)
    test = run_figures(test_queries, ATHENA_MIN_BILLED_BYTES)
    rewritten_total = written.data_bytes
    return {
        "serve": {"base_days": TWIN_BASE_DAYS, "max_stages": BENCH_MAX_STAGES, "raw_files": files, **serving},
        "base_days": TWIN_BASE_DAYS,
        "max_stages": BENCH_MAX_STAGES,
        "first_day": first_day.isoformat(),
        "raw_files": files,
        "start_seconds": round(start_seconds, 1),
        # Where the stage's time goes (the serving figures' own share without the next build).
        "phase_seconds": {
            "start": round(start_seconds, 1),
            "full_build_duckdb": round(duck_full.seconds, 1),
            "full_build_twin": round(twin_full.seconds, 1),
            "compact_and_publish_full_build": phases["compact_and_publish_full_build"],
            "serve": round(phases["serve_with_next_build"] - phases["next_build"], 1),
            "incremental_duckdb": round(duck_inc.seconds, 1),
            "incremental_twin": round(twin_inc.seconds, 1),
            "compact_and_publish_incremental": phases["compact_and_publish_incremental"],
            "next_build": phases["next_build"],
            "daily_tests_twin": round(tests.seconds, 1),
            "stop": phases["stop"],
        },
        "full_build": {
            "twin": engine_run(twin_full),
            "duckdb": engine_run(duck_full),
            "twin_to_duckdb": _ratio(twin_full.seconds, duck_full.seconds),
            "queries": len(full_queries),
        },
        "incremental": {
            "twin": engine_run(twin_inc),
            "duckdb": engine_run(duck_inc),
            "twin_to_duckdb": _ratio(twin_inc.seconds, duck_inc.seconds),
            "queries": len(incremental["queries_before"]),
        },
        "incremental_last_hour": {"twin": engine_run(twin_hour), "queries": len(inc_queries)},
        "hourly_increment_bytes": {
            "measured": {
                **inc,
                "hour": LAST_HOUR,
                "day_events": events,
                "hour_events": incremental["events_of_hour"],
                "new_raw_bytes": new_raw,
                "rewritten_bytes": rewritten_total,
                "rewritten_bytes_by_table": written.data_by_table,
                "metadata_and_state_bytes_written": written.other_bytes,
                "ratio": _ratio(inc["scanned_bytes"], new_raw + rewritten_total),
            },
            "at_10m_events_per_day": hourly_increment_at_scale(
                scanned_bytes=inc["scanned_bytes"],
                billed_scanned_per_query=[
                    q.physical_input_bytes for q in inc_queries if q.physical_input_bytes
                ],
                new_raw_bytes=new_raw,
                rewritten_bytes=rewritten_total,
                events_per_day_measured=events,
                events_per_day=ATHENA_EVENTS_PER_DAY,
                min_billed_bytes=ATHENA_MIN_BILLED_BYTES,
            ),
            "target_max_ratio": HOURLY_SCAN_MAX_RATIO,
        },
        "daily_test_bytes": {
            "measured": {
                **test,
                "data_test_days": DATA_TEST_DAYS,
                "vars_data_test_days": window,
                "exit_code": tests.returncode,
                "threads": TEST_THREADS,
            },
            "at_10m_events_per_day": daily_tests_at_scale(
                scanned_bytes=test["scanned_bytes"],
                billed_scanned_per_query=[
                    q.physical_input_bytes for q in test_queries if q.physical_input_bytes
                ],
                events_per_day_measured=events,
                events_per_day=ATHENA_EVENTS_PER_DAY,
                min_billed_bytes=ATHENA_MIN_BILLED_BYTES,
            ),
        },
    }


@contextmanager
def _phase(phases: dict[str, float], name: str) -> Iterator[None]:
    """The wall seconds of the block, kept under `name` (where the stage's time goes)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = round(time.perf_counter() - started, 1)


def _ratio(figure: float, baseline: float) -> float | None:
    value = ratio(figure, baseline)
    return None if value is None else round(value, 2)
