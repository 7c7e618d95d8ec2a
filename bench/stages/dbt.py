"""dbt on DuckDB: the full build against DuckDB's own scans of the same raw files, then one more
day landed on top of 30 and the incremental run against the new day's own scan. Information
since issue 13 retired these local targets (Athena's bytes are what users pay for), so each run
is taken once: `make bench` has 15 minutes for every stage.

Every dbt command runs as a child process (wall time = what a user waits, and its own peak RSS)
with its own --target-path/--log-path, so it never touches dbt_project/target.

- The builds are `dbt run` (the models). The data and unit tests check the result rather than
  build it (they read every mart whole); they run in `make test` and `make build`, and are not
  timed here.
- Two scans of the raw files are the baselines, both in one DuckDB process: the `typed` scan
  reads every column of every line once, typed as the lake source declares them (the least
  a build must do); the `light` scan counts rows and distinct request_ids (one column). The
  retired target used the typed scan; the light one is shown beside it.
- A run with nothing new (right after the full build) is dbt's fixed cost per run: start-up,
  parse, hooks, and a few queries per model. The incremental run's cost beyond it is what the
  new day itself costs, which the retired target compared with the new day's own scan. Both
  are single runs: equal runs here differ by a second or two (dbt's start-up alone), which the
  difference of the two carries.
- Floors (bench/stages/floor.py): the same raw files copied once into a DuckDB table and to
  Parquet, and the new day appended to that copy deduplicated on request_id, all without dbt;
  with dbt's start-up they are the least a full build and an increment can cost here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.measure import (
    REPO,
    ChildRun,
    dbt_executable,
    median,
    progress,
    ratio,
    remove_database,
    run_child,
    timed,
)
from bench.stages import floor
from bench.stages.data import Dataset
from bench.stages.ingest import RAW_GLOB, land, raw_bytes

# The new day's scan is short (a fraction of a second), so it is repeated and its median taken;
# the month's scan (seconds) runs once.
SCAN_REPEATS = 3
LIGHT_SCAN_SQL = (
    "select count(*), count(distinct request_id) from read_json("
    "'{glob}', format = 'newline_delimited', compression = 'gzip', hive_partitioning = true)"
)


def rounded_ratio(figure: float, baseline: float, digits: int) -> float | None:
    value = ratio(figure, baseline)
    return None if value is None else round(value, digits)


def dbt_command(command: str, lake: Path, warehouse: Path, work: Path) -> tuple[ChildRun, dict[str, Any]]:
    """`dbt <command> --target local` over `lake` into `warehouse`; the run's own timing summary too."""
    target_path, log_path = work / "dbt-target", work / "dbt-logs"
    cmd = [
        dbt_executable(),
        command,
        "--project-dir",
        str(REPO / "dbt_project"),
        "--profiles-dir",
        str(REPO),
        "--target",
        "local",
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    child = run_child(cmd, env={"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(warehouse)}).check()
    return child, run_summary(json.loads((target_path / "run_results.json").read_text()))


# Exposures end as "no-op": nothing ran, nothing failed.
_OK_STATUSES = ("success", "pass", "no-op")


def run_summary(run_results: dict[str, Any]) -> dict[str, Any]:
    """dbt's own view of a run: elapsed seconds, node counts and the slowest nodes."""
    results = run_results.get("results", [])
    models = [r for r in results if r["unique_id"].startswith("model.")]
    slowest = sorted(results, key=lambda r: r.get("execution_time") or 0, reverse=True)[:5]
    return {
        "dbt_elapsed_seconds": round(run_results.get("elapsed_time") or 0.0, 3),
        "nodes": len(results),
        "models": len(models),
        "models_execution_seconds": round(sum(r.get("execution_time") or 0 for r in models), 3),
        "failed": sorted(r["unique_id"] for r in results if r.get("status") not in _OK_STATUSES),
        "slowest": [{r["unique_id"].split(".")[-1]: round(r.get("execution_time") or 0, 3)} for r in slowest],
    }


def typed_scan_sql(warehouse: Path, partition: str | None) -> str:
    """A query reading every column of the raw files once, typed as the warehouse's lake source
    view declares them (the view the build reads), over one `ingest_date` partition or over
    every file. It runs on the warehouse (`scan(..., database=warehouse)`): DuckDB prunes the
    view's hive partitions on the constant filter."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select column_name, column_type from (describe lake.request_events)"
        ).fetchall()
    reads = [f"sum(len({name}))" if "[]" in kind else f"max({name})" for name, kind in columns]
    where = "" if partition is None else f" where ingest_date = '{partition}'"
    return f"select count(*), count(distinct request_id), {', '.join(reads)} from lake.request_events{where}"


def scan(sql: str, repeats: int = SCAN_REPEATS, database: Path | None = None) -> dict[str, Any]:
    """One DuckDB scan of raw files, repeated; the median counts. `database` (read-only) holds
    the views the query names, if any."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True) if database is not None else duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        runs, cpu_runs, row = [], [], None
        for _ in range(repeats):
            cpu_started = time.process_time()
            seconds, row = timed(lambda: con.execute(sql).fetchone())
            runs.append(seconds)
            cpu_runs.append(time.process_time() - cpu_started)
    finally:
        con.close()
    assert row is not None
    return {
        "seconds": round(median(runs), 3),
        "cpu_seconds": round(median(cpu_runs), 3),
        "runs": [round(r, 3) for r in runs],
        "rows": row[0],
        "requests": row[1],
    }


def light_scan_sql(glob: str) -> str:
    return LIGHT_SCAN_SQL.format(glob=glob.replace("'", "''"))


def warehouse_rows(warehouse: Path, table: str) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select count(*) from marts.{table}").fetchone()[0]  # type: ignore[index]


def run_figures(run: ChildRun, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "seconds": round(run.seconds, 3),
        "cpu_seconds": round(run.cpu_seconds, 3),
        **summary,
        "max_rss_bytes": run.max_rss_bytes,
    }


_DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def lake_of_days(
    lake: Path,
    out: Path,
    first_day: date,
    last_day: date | None = None,
    skip_partition: str | None = None,
    landed_days_after: int | None = None,
) -> int:
    """`lake`'s ingest state and the raw files of the days first_day..last_day (the day is in each
    raw file's name, from its source log), hard-linked into `out`, leaving out the partition
    folder `skip_partition`; the number of raw files kept. With `landed_days_after`, each day's
    file goes to the ingest_date partition that many days after it: 0 as the hourly ingest
    files a day's deliveries in production, 1 as a daily ingest early the next morning would
    (the bench lands its base month in one run, in one partition)."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(lake / "_state", out / "_state")
    kept = 0
    for raw in sorted(lake.glob(RAW_GLOB)):
        if raw.parent.name == skip_partition:
            continue
        found = _DAY_IN_NAME.search(raw.name)
        if found is None:
            raise RuntimeError(f"no day in the raw file name {raw.name}: cannot split the history")
        day = date.fromisoformat(found.group(1))
        if day < first_day or (last_day is not None and day > last_day):
            continue
        target = out / raw.relative_to(lake)
        if landed_days_after is not None:
            partition = day + timedelta(days=landed_days_after)
            target = target.parent.with_name(f"ingest_date={partition}") / raw.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(raw, target)
        kept += 1
    return kept


def new_day_landed_at(data: Dataset) -> datetime:
    """When day 31 lands: half an hour into the day after it."""
    return datetime(data.new_day.year, data.new_day.month, data.new_day.day, tzinfo=UTC) + timedelta(
        days=1, minutes=30
    )


def floor_figures(
    persisted: dict[str, Any],
    as_parquet: dict[str, Any],
    appended: dict[str, Any],
    startup_seconds: float,
    base_scan: dict[str, Any],
    new_scan: dict[str, Any],
) -> dict[str, Any]:
    """The floors (bench/stages/floor.py) against the targets' own baselines. A full build is
    at least dbt's start-up (the no-op run's wall time outside dbt's own elapsed time: import,
    parse, connection) plus the cheaper of the two copies; an increment beyond the fixed cost
    at least the deduplicated append."""
    cheaper_copy = min(persisted["seconds"], as_parquet["seconds"])
    full_floor = startup_seconds + cheaper_copy
    return {
        "persist": persisted,
        "parquet": as_parquet,
        "append": appended,
        "dbt_startup_seconds": round(startup_seconds, 3),
        "full_build_floor_seconds": round(full_floor, 3),
        "full_build_floor_ratio_to_scan": rounded_ratio(full_floor, base_scan["seconds"], 2),
        "persist_ratio_to_scan": rounded_ratio(persisted["seconds"], base_scan["seconds"], 2),
        "parquet_ratio_to_scan": rounded_ratio(as_parquet["seconds"], base_scan["seconds"], 2),
        "append_ratio_to_new_day_scan": rounded_ratio(appended["seconds"], new_scan["seconds"], 2),
    }


def elapsed_marginal(incremental_run: dict[str, Any], noop_run: dict[str, Any]) -> float:
    """The increment's cost in dbt's own elapsed time (the run after start-up and parse, whose
    length varies most between otherwise equal runs) beyond a run with nothing new."""
    return round(incremental_run["dbt_elapsed_seconds"] - noop_run["dbt_elapsed_seconds"], 3)


def run_stage(data: Dataset, lake: Path, warehouse: Path, work: Path) -> dict[str, Any]:
    remove_database(warehouse)
    shutil.rmtree(work / "dbt-target", ignore_errors=True)

    progress("dbt: full build (dbt run) over the 30 base days")
    full, full_run = dbt_command("run", lake, warehouse, work)
    progress("dbt: scans of the raw files (typed, every column; light, one column)")
    base_scan = scan(typed_scan_sql(warehouse, None), repeats=1, database=warehouse)
    base_light = scan(light_scan_sql(str(lake / RAW_GLOB)), repeats=1)
    base_requests = warehouse_rows(warehouse, "fct_requests")
    progress("dbt: floors without dbt (a persistent typed copy of the raw files; the same as Parquet)")
    floor_db = work / "floor.duckdb"
    persisted = floor.persist(floor_db, warehouse)
    as_parquet = floor.parquet(work / "floor.parquet", warehouse)
    progress("dbt: a run with nothing new landed (dbt's fixed cost per run)")
    noop, noop_run = dbt_command("run", lake, warehouse, work)

    progress(f"dbt: landing day 31 ({data.new_day}) and running the incremental build")
    landed_at = new_day_landed_at(data)
    new_day_ingest, _ = land(data.new_day_logs, lake, landed_at)
    new_partition = landed_at.date().isoformat()
    new_glob = str(lake / RAW_GLOB.replace("ingest_date=*", f"ingest_date={new_partition}"))
    new_scan = scan(typed_scan_sql(warehouse, new_partition), database=warehouse)
    new_light = scan(light_scan_sql(new_glob))
    appended = floor.append(floor_db, warehouse, new_partition)
    remove_database(floor_db)
    incremental, incremental_run = dbt_command("run", lake, warehouse, work)
    all_requests = warehouse_rows(warehouse, "fct_requests")
    marginal = incremental.seconds - noop.seconds
    startup = noop.seconds - noop_run["dbt_elapsed_seconds"]

    return {
        "full_build": {
            **run_figures(full, full_run),
            "command": "dbt run",
            "scan_seconds": base_scan["seconds"],
            "scan_cpu_seconds": base_scan["cpu_seconds"],
            "scan_kind": "typed: every column of every line, as the lake source view types them",
            "scan_rows": base_scan["rows"],
            "scan_distinct_requests": base_scan["requests"],
            "light_scan_seconds": base_light["seconds"],
            "light_scan_kind": "light: count(*) and count(distinct request_id)",
            "ratio_to_scan": rounded_ratio(full.seconds, base_scan["seconds"], 2),
            "cpu_ratio_to_scan": rounded_ratio(full.cpu_seconds, base_scan["cpu_seconds"], 2),
            "ratio_to_light_scan": rounded_ratio(full.seconds, base_light["seconds"], 2),
            "fct_requests_rows": base_requests,
            "raw_gzip_bytes": raw_bytes(lake) - raw_bytes(lake, new_partition),
        },
        "noop": {**run_figures(noop, noop_run), "command": "dbt run (nothing new landed)"},
        "floor": floor_figures(persisted, as_parquet, appended, startup, base_scan, new_scan),
        "incremental": {
            **run_figures(incremental, incremental_run),
            "command": "dbt run",
            "new_day": data.new_day.isoformat(),
            "new_partition": f"ingest_date={new_partition}",
            "new_day_landed": new_day_ingest["summary"]["landed"],
            "new_day_raw_gzip_bytes": raw_bytes(lake, new_partition),
            "new_day_scan_seconds": new_scan["seconds"],
            "new_day_scan_cpu_seconds": new_scan["cpu_seconds"],
            "new_day_scan_runs": new_scan["runs"],
            "new_day_scan_rows": new_scan["rows"],
            "new_day_light_scan_seconds": new_light["seconds"],
            "marginal_seconds": round(marginal, 3),
            "marginal_dbt_elapsed_seconds": elapsed_marginal(incremental_run, noop_run),
            "marginal_ratio_to_new_day_scan": rounded_ratio(marginal, new_scan["seconds"], 2),
            "ratio_to_new_day_scan": rounded_ratio(incremental.seconds, new_scan["seconds"], 2),
            "ratio_to_full_build": rounded_ratio(incremental.seconds, full.seconds, 3),
            "fct_requests_rows_after": all_requests,
        },
    }
