"""Athena bytes: what each API route would scan on Athena for 90 days of one client.

Each mart a route reads is exported to Parquet laid out the way dbt-athena writes it (the
`partitioned_by` and `write_compression` of the models under the `athena` target, read with
`dbt ls`; Athena's default Parquet compression, GZIP, where none is set). The API's own SQL for
the route (captured from `api_lambda.queries` with its parameters) says which columns are read
and which predicates prune partitions and row groups; `bench.athena_bytes` sums the bytes.

Extrapolation to 10M events a day: a partition's column chunks grow with the rows in it, and
the rows grow with the events of its day, so chunk bytes are scaled by 10M / (measured events
per day); footers are per file and do not grow with events; both are scaled from the days the
data covers to the 90 days asked for. The marts are not clustered by tenant, so at 10M events a
day each partition would still hold every client in every row group: row-group pruning by
client_id is assumed to stay what it is here (none), which keeps the scaling linear.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.athena_bytes import ChunkRow, Predicate, ScanBytes, render_sql, scanned_bytes, table_scans
from bench.measure import REPO, dbt_executable, progress, run_child
from bench.targets import ATHENA_EVENTS_PER_DAY, ATHENA_MIN_BILLED_BYTES

RANGE_DAYS = 90
AT_SCALE = "bytes_90d_at_10m_events_per_day"
EVERY_PARTITION = "none: every partition (all history)"
TRY_KEYS = ("partition_pruning", "days_asked", "days_covered", "bytes", AT_SCALE)
# Athena engine v3 writes Hive Parquet tables with GZIP unless told otherwise.
ATHENA_DEFAULT_PARQUET_COMPRESSION = "gzip"
# The API reads only the models of this schema (docs/contracts.md section 3).
MARTS_SCHEMA = "marts"
_DUMMY_ATHENA_ENV = {
    "DBT_ATHENA_REGION": "eu-west-1",
    "DBT_ATHENA_S3_STAGING_DIR": "s3://bench-unused/staging/",
    "DBT_ATHENA_S3_DATA_DIR": "s3://bench-unused/data/",
    "DBT_ATHENA_SCHEMA": "marts",
}


class RecordingBackend:
    """Runs nothing: keeps each statement and its parameters exactly as the route sends them."""

    name = "recording"
    marts = "marts"

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []

    def query(self, sql: str, params: Any) -> list[dict[str, Any]]:
        self.calls.append((sql.replace("{marts}", self.marts), list(params)))
        return []


def athena_layouts(work: Path) -> dict[str, dict[str, Any]]:
    """Each model's `partitioned_by` and `write_compression` under the athena target (dbt ls parses
    the project only; the Athena settings it needs are placeholders, nothing connects)."""
    cmd = [
        dbt_executable(),
        "ls",
        "--project-dir",
        str(REPO / "dbt_project"),
        "--profiles-dir",
        str(REPO),
        "--target",
        "athena",
        "--target-path",
        str(work / "dbt-target-athena"),
        "--log-path",
        str(work / "dbt-logs-athena"),
        "--resource-type",
        "model",
        "--output",
        "json",
        "--output-keys",
        "name config depends_on",
        "--quiet",
    ]
    child = run_child(cmd, env=_DUMMY_ATHENA_ENV).check()
    nodes = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
    return view_layouts(nodes)


def view_layouts(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each model's layout from its `dbt ls` node. A view (fct_requests, fct_request_products:
    views over the staged requests) stores nothing: Athena reads the table under it, through
    the view, and prunes that table's partitions with the view's predicates on the same
    columns, so a view takes the partitioning and compression of the one model it reads,
    followed down through views."""
    by_name = {node["name"]: node for node in nodes}

    def stored_under(name: str) -> dict[str, Any]:
        config = by_name[name]["config"]
        upstream = [n.split(".")[-1] for n in by_name[name].get("depends_on", {}).get("nodes", [])]
        models = [n for n in upstream if n in by_name]
        if config.get("materialized") == "view" and len(models) == 1:
            return stored_under(models[0])
        return config

    layouts = {}
    for name, node in by_name.items():
        stored = stored_under(name)
        layouts[name] = {
            "schema": node["config"].get("schema"),
            "materialized": node["config"].get("materialized"),
            "partitioned_by": list(stored.get("partitioned_by") or []),
            "compression": (stored.get("write_compression") or ATHENA_DEFAULT_PARQUET_COMPRESSION).lower(),
        }
    return layouts


def route_statements(
    scope_client: str, session: tuple[str, date], end: date
) -> dict[str, list[tuple[str, list[Any]]]]:
    """The SQL each route runs for one client over the RANGE_DAYS days ending at `end`, every
    statement in the order sent. The recording backend answers no rows, so a route that asks
    again when an answer is short (the sessions page's look-back windows) sends all its tries:
    the first is what it sends when that first answer fills the page."""
    from api_lambda import queries
    from api_lambda.periods import resolve_range
    from api_lambda.scope import Scope

    scope = Scope(client_id=scope_client)
    start = end - timedelta(days=RANGE_DAYS - 1)
    days = resolve_range(start.isoformat(), end.isoformat(), "day")
    calls: dict[str, list[tuple[str, list[Any]]]] = {}
    for route, call in (
        ("GET /v1/metrics/sessions", lambda b: queries.session_series(b, scope, days)),
        (
            "GET /v1/metrics/sessions/breakdown",
            lambda b: queries.session_breakdown(b, scope, days, "reseller"),
        ),
        ("GET /v1/metrics/products", lambda b: queries.products(b, scope, days, 20)),
        ("GET /v1/sessions", lambda b: queries.sessions_page(b, scope, start, end, 50, None)),
        # With the start day the viewer passes from the list (a wrong one would be the second try).
        (
            "GET /v1/sessions/{session_id}/requests",
            lambda b: queries.session_requests(b, scope, session[0], session[1]),
        ),
    ):
        backend = RecordingBackend()
        call(backend)
        calls[route] = backend.calls
    return calls


def date_bounds(predicates: list[Predicate], column: str) -> tuple[date | None, date | None]:
    """The first and last day `column` may take under constant predicates (None: unbounded)."""
    low: date | None = None
    high: date | None = None
    for p in predicates:
        if p.column != column or not isinstance(p.value, date) or isinstance(p.value, datetime):
            continue
        if p.op in ("=", ">=", ">"):
            day = p.value + timedelta(days=1) if p.op == ">" else p.value
            low = day if low is None else max(low, day)
        if p.op in ("=", "<=", "<"):
            day = p.value - timedelta(days=1) if p.op == "<" else p.value
            high = day if high is None else min(high, day)
    return low, high


def partition_span(
    scans: list[ScanBytes], layouts: dict[str, dict[str, Any]]
) -> tuple[date | None, date | None]:
    """The first and last day of the date partitions the statement asks for over all its
    tables; None on a side where one table's are open."""
    lows: list[date | None] = []
    highs: list[date | None] = []
    for s in scans:
        bounds: tuple[date | None, date | None] = (None, None)
        for column in layouts[s.table]["partitioned_by"]:
            bounds = date_bounds(s.predicates, column)
            if bounds != (None, None):
                break
        lows.append(bounds[0])
        highs.append(bounds[1])
    low = min(d for d in lows if d is not None) if lows and None not in lows else None
    high = max(d for d in highs if d is not None) if highs and None not in highs else None
    return low, high


@dataclass(frozen=True)
class Scale:
    """What the extrapolation needs of the measured data: its days of events, each of its days,
    and the factor from its events per day to ATHENA_EVENTS_PER_DAY."""

    event_days: int
    data_days: list[date]
    event_factor: float


def statement_bytes(
    sql: str,
    params: list[Any],
    metadata: dict[str, tuple[list[ChunkRow], dict[str, int]]],
    layouts: dict[str, dict[str, Any]],
    types: dict[str, dict[str, str]],
    scale: Scale,
) -> dict[str, Any]:
    """The bytes one statement reads here, and extrapolated: column chunks grow with the events
    of a day, footers do not; the days scale from the days of data it covers here to the days
    it asks for (RANGE_DAYS of history when its date partitions are open-ended)."""
    scans: list[ScanBytes] = []
    for table, scan in table_scans(render_sql(sql, params)).items():
        chunks, sizes = metadata[table]
        scans.append(scanned_bytes(scan, chunks, layouts[table]["partitioned_by"], types[table], sizes))
    low, high = partition_span(scans, layouts)
    if low is not None and high is not None:
        asked = max(0, (high - low).days + 1)
        covered = sum(1 for day in scale.data_days if low <= day <= high)
        pruning = f"by date: {asked} days"
    elif low is not None:
        # From a day on to the newest: the same days whatever the history's length.
        covered = asked = sum(1 for day in scale.data_days if day >= low)
        pruning = f"by date: from {low} on"
    else:
        asked, covered, pruning = RANGE_DAYS, scale.event_days, EVERY_PARTITION
    chunk_bytes = sum(s.column_chunk_bytes for s in scans)
    footer_bytes = sum(s.footer_bytes for s in scans)
    at_scale = round((chunk_bytes * scale.event_factor + footer_bytes) * asked / max(covered, 1))
    rows = sum(s.rows_selected for s in scans)
    return {
        # What the linear scaling assumes grows with events: the rows read per day of data.
        "rows_read_per_day": round(rows / max(covered, 1), 1),
        "column_chunk_bytes_per_row_read": round(chunk_bytes / rows, 1) if rows else None,
        "tables": {
            s.table: {
                "columns_read": s.columns,
                "predicates": [f"{p.column} {p.op} {p.value}" for p in s.predicates],
                "files": f"{s.files_selected}/{s.files_total}",
                "row_groups": f"{s.row_groups_selected}/{s.row_groups_total}",
                "rows_in_selected_row_groups": s.rows_selected,
                "column_chunk_bytes": s.column_chunk_bytes,
                "footer_bytes": s.footer_bytes,
            }
            for s in scans
        },
        "partition_pruning": pruning,
        "days_asked": asked,
        "days_covered": covered,
        "bytes": chunk_bytes + footer_bytes,
        "column_chunk_bytes": chunk_bytes,
        "footer_bytes": footer_bytes,
        "bytes_90d_at_10m_events_per_day": at_scale,
        "billed_bytes_90d_at_10m_events_per_day": max(at_scale, ATHENA_MIN_BILLED_BYTES),
    }


def export(con: Any, mart: str, layout: dict[str, Any], out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    partition = layout["partitioned_by"]
    options = [f"format parquet, compression {layout['compression']}"]
    if partition:
        options.append(f"partition_by ({', '.join(partition)})")
    else:
        out.mkdir(parents=True)
        out = out / "data_0.parquet"
    con.execute(f"copy (select * from marts.{mart}) to '{out}' ({', '.join(options)})")


def chunk_rows(con: Any, directory: Path) -> tuple[list[ChunkRow], dict[str, int]]:
    files = sorted(str(p) for p in directory.rglob("*.parquet"))
    if not files:
        return [], {}
    rows = con.execute(
        "select file_name, row_group_id, row_group_num_rows, path_in_schema, stats_min_value, "
        "stats_max_value, total_compressed_size from parquet_metadata(?)",
        [files],
    ).fetchall()
    return [ChunkRow(*row) for row in rows], {f: Path(f).stat().st_size for f in files}


def run_stage(warehouse: Path, work: Path, lake_events: int | None = None) -> dict[str, Any]:
    import duckdb

    progress("athena: reading the athena target's partitioning with dbt ls")
    layouts = athena_layouts(work)
    marts = sorted(name for name, layout in layouts.items() if layout["schema"] == MARTS_SCHEMA)
    parquet_root = work / "parquet"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("set enable_progress_bar = false")
        client, _ = con.execute(
            "select client_id, count(*) from marts.fct_requests group by 1 order by 2 desc, 1 limit 1"
        ).fetchone()  # type: ignore[misc]
        session_id, started_on = con.execute(
            "select session_id, started_on from marts.fct_sessions where client_id = ? "
            "order by hash(session_id), session_id limit 1",
            [client],
        ).fetchone()  # type: ignore[misc]
        requests, event_days, first_day, last_day = con.execute(
            "select count(*), count(distinct event_date), min(event_date), max(event_date) "
            "from marts.fct_requests"
        ).fetchone()  # type: ignore[misc]
        events_per_day = requests / event_days
        types = {
            mart: dict(
                con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [mart],
                ).fetchall()
            )
            for mart in marts
        }
        progress(f"athena: exporting {len(marts)} marts to Parquet as dbt-athena lays them out")
        metadata: dict[str, tuple[list[ChunkRow], dict[str, int]]] = {}
        for mart in marts:
            export(con, mart, layouts[mart], parquet_root / mart)
            metadata[mart] = chunk_rows(con, parquet_root / mart)
    finally:
        con.close()

    mart_bytes = {mart: sum(sizes.values()) for mart, (_, sizes) in metadata.items()}
    routes: dict[str, Any] = {}
    start = last_day - timedelta(days=RANGE_DAYS - 1)
    data_days = [first_day + timedelta(days=d) for d in range((last_day - first_day).days + 1)]
    scale = Scale(event_days, data_days, ATHENA_EVENTS_PER_DAY / events_per_day)
    for route, statements in route_statements(client, (session_id, started_on), last_day).items():
        tries = [statement_bytes(sql, params, metadata, layouts, types, scale) for sql, params in statements]
        routes[route] = {
            **tries[0],
            # Every try in the order sent, for a route that asks again when an answer is short.
            "tries": len(tries),
            "bytes_90d_at_10m_events_per_day_every_try": sum(t[AT_SCALE] for t in tries),
            "every_try": [{key: t[key] for key in TRY_KEYS} for t in tries],
        }
    events_for_size = lake_events or requests
    return {
        "scope": {"level": "client", "client_id": client},
        "range_days": RANGE_DAYS,
        "range": [start.isoformat(), last_day.isoformat()],
        "session_id": session_id,
        "measured_events": requests,
        "measured_event_days": event_days,
        "measured_events_per_day": round(events_per_day),
        "extrapolated_events_per_day": ATHENA_EVENTS_PER_DAY,
        "billing_minimum_bytes": ATHENA_MIN_BILLED_BYTES,
        "layouts": {mart: layouts[mart] for mart in marts},
        "mart_parquet_bytes": mart_bytes,
        "parquet_mart_bytes_per_event": round(sum(mart_bytes.values()) / events_for_size, 1),
        "routes": routes,
    }
