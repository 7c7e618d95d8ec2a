"""Measure the cost model's inputs on this machine: simulate, ingest, dbt build, export Parquet.

Used by cost/model.py when no bench results exist (bench/results/latest.json). Everything is
measured from real files the real code writes:
- raw gzip bytes per event: the lake's raw/*.json.gz bytes over the events in them;
- Parquet bytes per event, per mart and per column: each mart exported with DuckDB COPY
  (Parquet, Snappy, as Athena CTAS tables are laid out) and read back with parquet_metadata;
- the dbt project's shape from its manifest: the marts (models under models/marts/), models
  reading the raw source, data tests and the columns they scan.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# cost/model.py imports this module by its folder (`python cost/model.py`): the repo's packages are
# found from the repo root.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dbt_runner.build import dbt_args  # noqa: E402
from ingest_lambda.commands import ingest_command, simulate_command  # noqa: E402

VENV_BIN = Path(sys.executable).parent
SIM_ARGS = ["--seed", "7", "--days", "14", "--sessions", "3000", "--clients", "3", "--end-date", "2026-11-20"]
INGEST_NOW = "2026-11-21T00:30:00Z"


def log(message: str) -> None:
    print(f"[cost] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )


def raw_bytes_per_event(lake: Path) -> tuple[int, int]:
    """(events, gzip bytes) of every raw object."""
    events = size = 0
    for part in lake.glob("raw/request_events/ingest_date=*/*.json.gz"):
        size += part.stat().st_size
        with gzip.open(part, "rb") as handle:
            events += sum(1 for _ in handle)
    return events, size


def parquet_columns(warehouse: Path, out: Path, marts_built: list[str]) -> dict[str, dict[str, Any]]:
    """Export each mart to Parquet and return {mart: {rows, bytes, columns: {name: bytes}}}."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    marts: dict[str, dict[str, Any]] = {}
    # The aggregates are partitioned by grain on Athena: a `grain=day` call reads only those rows.
    slices = [(mart, mart, "true") for mart in marts_built] + [
        (f"{mart}[grain=day]", mart, "grain = 'day'")
        for mart in ("agg_session_metrics", "agg_product_metrics")
    ]
    try:
        for name, mart, where in slices:
            path = out / f"{name.replace('[', '_').replace(']', '').replace('=', '_')}.parquet"
            query = f"select * from marts.{mart} where {where}"
            con.execute(f"copy ({query}) to '{path}' (format parquet, compression snappy)")
            rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
            columns = dict(
                con.execute(
                    "select path_in_schema, sum(total_compressed_size) from parquet_metadata(?) group by 1",
                    [str(path)],
                ).fetchall()
            )
            marts[name] = {"rows": rows, "bytes": path.stat().st_size, "columns": columns}
    finally:
        con.close()
    return marts


def project_shape(manifest_path: Path) -> dict[str, Any]:
    """Models, the models reading the raw source directly, and each data test's table and column."""
    manifest = json.loads(manifest_path.read_text())
    nodes = manifest["nodes"]
    models = {k: n for k, n in nodes.items() if n["resource_type"] == "model"}
    marts = sorted(n["name"] for n in models.values() if "marts" in n["fqn"][1:-1])
    readers = [
        n["name"] for n in models.values() if any(d.startswith("source.") for d in n["depends_on"]["nodes"])
    ]
    tests = []
    for node in nodes.values():
        if node["resource_type"] != "test":
            continue
        parents = [models[d]["name"] for d in node["depends_on"]["nodes"] if d in models]
        tests.append({"name": node["name"], "tables": parents, "column": node.get("column_name")})
    return {
        "marts": marts,
        "models": len(models),
        "table_models": sum(1 for n in models.values() if n["config"]["materialized"] != "view"),
        "raw_readers": sorted(readers),
        "data_tests": tests,
    }


def measure() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cost-") as tmp:
        work = Path(tmp)
        logs, lake, warehouse = work / "logs", work / "lake", work / "warehouse.duckdb"
        env = {"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(warehouse)}
        log("simulating 14 days of traffic and ingesting it")
        run(simulate_command(logs, "--quiet", *SIM_ARGS), env)
        started = time.perf_counter()
        run(ingest_command(logs, INGEST_NOW, "--quiet"), env)
        ingest_seconds = time.perf_counter() - started
        events, raw_size = raw_bytes_per_event(lake)
        log(f"{events} events landed in {raw_size} gzip bytes; building the marts with dbt (local target)")
        target = work / "target"
        run(
            [
                str(VENV_BIN / "dbt"),
                *dbt_args(["build"], Path("dbt_project"), Path("."), "local"),
                "--target-path",
                str(target),
                "--exclude-resource-type",
                "unit_test",
            ],
            env,
        )
        shape = project_shape(target / "manifest.json")
        log(f"exporting the {len(shape['marts'])} marts to Parquet")
        marts = parquet_columns(warehouse, work, shape["marts"])
    requests = marts["fct_requests"]["rows"]
    return {
        "source": "cost/measure_local.py (simulator + ingest + dbt local build + DuckDB Parquet export)",
        "events": events,
        "requests": requests,
        "raw_gzip_bytes_per_event": raw_size / events,
        # Includes interpreter start-up, so it understates the Lambda's warm throughput.
        "ingest_events_per_second": events / ingest_seconds,
        "parquet_mart_bytes_per_event": sum(marts[m]["bytes"] for m in shape["marts"]) / requests,
        "marts": marts,
        "project": shape,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
