"""Orchestrates one benchmark run: every stage in order on one data set, then the table, the
JSON and the check against the targets.

Stages depend on the ones before (the API reads the warehouse the dbt stage built); a stage that
fails is recorded with its error, the ones that need it are skipped, and its targets count as
not measured.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.measure import REPO, load_average, machine, progress, versions
from bench.targets import evaluate, shortfalls

RESULTS = REPO / "bench" / "results"
README = REPO / "bench" / "README.md"
DEFAULT_EVENTS = 3_000_000
STAGES = ("data", "ingest", "dbt", "api", "athena", "twin", "lambda_init")
# The serving figures (stages.serve) are measured in the twin stage, on its twin and its builds:
# `--stages serve` runs the twin stage.
ALIASES = {"serve": "twin"}
README_START, README_END = "<!-- bench:results -->", "<!-- /bench:results -->"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure every stage (data, ingest, dbt full and incremental, API, Athena bytes, "
        "Lambda init, memory) against its baseline or limit, and check the targets.",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help=f"events over the 30 base days (day 31 adds 1/30 more); default {DEFAULT_EVENTS:,}",
    )
    parser.add_argument("--seed", type=int, default=7, help="simulator and API request seed (default 7)")
    parser.add_argument("--clients", type=int, default=3, help="simulated clients (default 3)")
    parser.add_argument("--api-requests", type=int, default=200, help="requests per API route (default 200)")
    parser.add_argument("--workdir", type=Path, help="keep logs, lake, warehouse and Parquet here")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.json/latest.md go")
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"comma-separated subset of {','.join(STAGES)} (serve: the same as twin, which measures it)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.events < 10_000:
        parser.error("--events must be >= 10000")
    if args.api_requests < 200:
        parser.error("--api-requests must be >= 200 (issue 4 asks for at least 200 per route)")
    unknown = set(args.stages.split(",")) - set(STAGES) - set(ALIASES)
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    return args


def wanted_stages(stages: str) -> set[str]:
    """The stages to run for `--stages` (an alias stands for the stage that measures it)."""
    return {ALIASES.get(name, name) for name in stages.split(",")}


def update_readme(table_md: str, readme: Path = README) -> bool:
    """Replace the results block of the Performance page with this run's table."""
    if not readme.exists():
        return False
    text = readme.read_text()
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        return False
    readme.write_text(pattern.sub(lambda _: f"{README_START}\n{table_md}{README_END}", text))
    return True


def cost_inputs(stages: dict[str, Any]) -> dict[str, Any]:
    """The measured sizes the cost model reads (documented in bench/README.md)."""
    athena = stages.get("athena") or {}
    routes = athena.get("routes") or {}
    return {
        "raw_gzip_bytes_per_event": (stages.get("ingest") or {}).get("raw_gzip_bytes_per_event"),
        "parquet_mart_bytes_per_event": athena.get("parquet_mart_bytes_per_event"),
        "athena_bytes_per_query_measured": {r: f["bytes"] for r, f in routes.items()},
        "athena_bytes_per_query_90d_at_10m_events_per_day": {
            r: f["bytes_90d_at_10m_events_per_day"] for r, f in routes.items()
        },
        "measured_events_per_day": athena.get("measured_events_per_day"),
        "serving": serving_cost_inputs(stages.get("serve") or {}),
        "twin_dbt": twin_cost_inputs(stages.get("twin") or {}),
    }


def twin_cost_inputs(twin: dict[str, Any]) -> dict[str, Any]:
    """What `make cost` prices Athena for dbt with: the twin's bytes of the hourly run (the day's
    last hour) and of the daily test run, at 10M events a day, and their queries reading data."""
    figures: dict[str, Any] = {}
    for kind, key in (("run", "hourly_increment_bytes"), ("test", "daily_test_bytes")):
        stage = twin.get(key) or {}
        scaled = stage.get("at_10m_events_per_day") or {}
        if scaled.get("scanned_bytes") is not None:
            figures[kind] = {
                "scanned_bytes_at_10m_events_per_day": scaled["scanned_bytes"],
                "queries_reading_data": (stage.get("measured") or {}).get("queries_reading_data"),
            }
    return figures


def serving_cost_inputs(serve: dict[str, Any]) -> dict[str, Any]:
    """What `make cost` prices the API with: S3 requests per warm call (the routes' mean), per new
    version read (the typical call at 10M events/day) and Lambda seconds per call."""
    routes = serve.get("routes") or {}
    if not routes:
        return {}
    warm = sum(r["s3_requests_mean"] for r in routes.values()) / len(routes)
    typical = serve.get("typical_call") or {}
    # Each container reads what a publish changed (measured after an hourly build); a container
    # that starts reads everything (the new container's figure at scale, counted as the upper bound
    # when the after-publish figure is missing).
    after = (typical.get("after_a_publish") or {}).get("s3_requests")
    scale = typical.get("at_10m_events_per_day") or {}
    return {
        "api_s3_requests_warm": round(warm, 3),
        "api_s3_requests_new_version": after if after is not None else scale.get("cold_s3_requests"),
        "api_seconds_per_call": round(serve["lambda_ms_per_call_p50_mean"] / 1000, 4),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = wanted_stages(args.stages)
    started = time.perf_counter()
    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    own_tmp = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="bench-")) if own_tmp else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    lake, warehouse = work / "lake", work / "warehouse.duckdb"
    result: dict[str, Any] = {
        "schema_version": 1,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command.strip(),
        "machine": machine(),
        "versions": versions(),
        "size": {"events": args.events, "days": 30, "seed": args.seed, "clients": args.clients},
        "stages": {},
        "stage_seconds": {},
        "errors": {},
    }
    stages: dict[str, Any] = result["stages"]
    datasets: list[Any] = []

    def stage(name: str, needs: tuple[str, ...], body: Callable[[], dict[str, Any]]) -> None:
        """Run one stage into stages[name]; a failure is recorded and the run goes on."""
        if name not in wanted:
            return
        # A needed stage left out of --stages is taken as done by an earlier run in --workdir.
        missing = [n for n in needs if n in wanted and n not in stages]
        if missing:
            result["errors"][name] = f"skipped: needs the {', '.join(missing)} stage"
            return
        progress(f"stage {name}")
        t0 = time.perf_counter()
        try:
            stages[name] = body()
        except Exception as exc:  # a failed stage is reported, the others still run
            result["errors"][name] = f"{type(exc).__name__}: {str(exc)[:2000]}"
            traceback.print_exc()
        result["stage_seconds"][name] = round(time.perf_counter() - t0, 1)

    def run_data() -> dict[str, Any]:
        shutil.rmtree(lake, ignore_errors=True)
        dataset, figures = data.generate(work, args.events, args.seed, args.clients)
        datasets.append(dataset)
        return figures

    def dataset() -> Any:
        return datasets[0] if datasets else data.existing(work)

    def run_twin() -> dict[str, Any]:
        figures = twin.run_stage(dataset(), lake, work)
        stages["serve"] = figures.pop("serve")
        return figures

    from bench.stages import api, athena, data, dbt, ingest, lambda_init, twin

    try:
        stage("data", (), run_data)
        stage("ingest", ("data",), lambda: ingest.run_stage(dataset(), lake))
        stage("dbt", ("data", "ingest"), lambda: dbt.run_stage(dataset(), lake, warehouse, work))
        stage("api", ("dbt",), lambda: api.run_stage(warehouse, work, args.api_requests, args.seed))
        stage("athena", ("dbt",), lambda: athena.run_stage(warehouse, work))
        stage("twin", ("data", "ingest"), run_twin)
        stage("lambda_init", (), lambda_init.run_stage)
    finally:
        if own_tmp:
            shutil.rmtree(work, ignore_errors=True)

    memory = {}
    if "data" in stages:
        memory["the simulator"] = stages["data"]["max_rss_bytes"]
    if "ingest" in stages:
        memory["the ingest"] = stages["ingest"]["max_rss_bytes"]
    if "dbt" in stages:
        memory["dbt full build"] = stages["dbt"]["full_build"]["max_rss_bytes"]
        memory["dbt incremental run"] = stages["dbt"]["incremental"]["max_rss_bytes"]
    stages["memory"] = memory
    result["cost_inputs"] = cost_inputs(stages)
    result["machine"]["load_average_at_end"] = load_average()
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    checks = evaluate(stages)
    result["checks"] = [c.as_dict() for c in checks]
    result["table"] = [dict(zip(report.COLUMNS, row, strict=True)) for row in report.rows(stages)]

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    md = report.markdown(result, checks)
    (args.out / "latest.md").write_text(md)
    if args.out.resolve() == RESULTS.resolve():
        update_readme(md)
    print(md)
    missed = shortfalls(checks)
    if missed:
        print(f"{len(missed)} of {len(checks)} targets not met:", file=sys.stderr)
        for check in missed:
            print(f"  {check.line()}", file=sys.stderr)
    else:
        print(f"all {len(checks)} targets met", file=sys.stderr)
    print(f"results: {args.out / 'latest.json'}, {args.out / 'latest.md'}", file=sys.stderr)
    return 1 if args.check and missed else 0
