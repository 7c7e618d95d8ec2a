"""Bytes a client-level 90-day query would scan on Athena, from Parquet laid out as Athena would.

Exports marts of a built DuckDB warehouse to Hive-partitioned Parquet (one directory per
partition value, partition columns not stored in the files, one row group per file and GZIP,
as Athena's CTAS/INSERT writes small partitions), then sums, over the files of the partitions
the query's predicates select, the compressed size of the column chunks of the columns it
reads (parquet_metadata), skipping row groups whose min/max exclude the client. That is what
Athena bills: the bytes of the columns it reads from the files and row groups it touches.

Usage:
    python dbt_project/scripts/athena_layout_bytes.py WAREHOUSE.duckdb [--events-per-day 10000000]

The old layout (aggregates partitioned by (grain, period_start)) is measured beside the new
one (grain, level, period_date). Extrapolation to `--events-per-day`: the bytes of one
partition's read columns per row, times the rows the partition would hold at that volume.
A level=client partition holds one row per active client, so it is scaled two ways: clients
fixed (the simulated count) and clients growing with events (an upper bound). Partitions that
hold every level or every session (the old aggregate layout, the facts) grow with events.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

DAYS = 90
MB = 1_000_000


@dataclass(frozen=True)
class Layout:
    """One table's Athena layout and the API query measured against it."""

    label: str
    table: str
    partition_by: tuple[str, ...]
    # Partition directories the query selects: a predicate over the partition columns.
    partition_filter: str
    # Columns the query reads from the files (partition columns cost nothing).
    columns: tuple[str, ...]
    # Rows of the selected partitions grow with events (True) or with clients only (False).
    grows_with_events: bool


def layouts(client: str) -> list[Layout]:
    series_columns = ("client_id", "reseller_id", "user_id", "period_start", "sessions", "requests")
    return [
        Layout(
            "series, old layout (grain, period_start)",
            "agg_session_metrics",
            ("grain", "period_start"),
            "grain = 'day'",
            (*series_columns, "level"),
            True,
        ),
        Layout(
            "series, new layout (grain, level, period_date)",
            "agg_session_metrics",
            ("grain", "level", "period_date"),
            "grain = 'day' and level = 'client'",
            series_columns,
            False,
        ),
        Layout(
            "breakdown (fct_session_days by event_date)",
            "fct_session_days",
            ("event_date",),
            "true",
            ("client_id", "reseller_id", "session_id", "requests"),
            True,
        ),
        Layout(
            "products (fct_product_session_days by event_date)",
            "fct_product_session_days",
            ("event_date",),
            "true",
            (
                "client_id",
                "session_id",
                "product_id",
                "product_name",
                "category",
                "currency",
                "requests",
                "quantity",
                "revenue",
            ),
            True,
        ),
    ]


def export(con: duckdb.DuckDBPyConnection, layout: Layout, out: Path) -> Path:
    target = out / f"{layout.table}__{'_'.join(layout.partition_by)}"
    if not target.exists():
        con.execute(
            f"copy (select * from wh.marts.{layout.table}) to '{target}' "
            f"(format parquet, partition_by ({', '.join(layout.partition_by)}), "
            "compression gzip, row_group_size 10000000)"
        )
    return target


def measure(con: duckdb.DuckDBPyConnection, layout: Layout, root: Path, client: str) -> dict[str, float]:
    """Bytes read, partitions and rows touched, over every partition the filter selects."""
    files = f"{root}/**/*.parquet"
    columns = ", ".join(f"'{column}'" for column in layout.columns)
    # Row groups whose client_id range excludes the client are skipped by Athena's reader.
    row = con.execute(
        f"""
        with selected as (
            select distinct filename
            from read_parquet('{files}', hive_partitioning = true, filename = true)
            where {layout.partition_filter}
        ),
        groups as (
            select meta.file_name, meta.row_group_id, any_value(meta.row_group_num_rows) as num_rows
            from parquet_metadata('{files}') as meta
            inner join selected on selected.filename = meta.file_name
            where meta.path_in_schema = 'client_id'
              and (meta.stats_min_value is null or meta.stats_min_value <= ? and meta.stats_max_value >= ?)
            group by 1, 2
        )
        select
            coalesce(sum(meta.total_compressed_size), 0),
            count(distinct meta.file_name),
            (select sum(num_rows) from groups)
        from parquet_metadata('{files}') as meta
        inner join groups using (file_name, row_group_id)
        where meta.path_in_schema in ({columns})
        """,
        [client, client],
    ).fetchone()
    assert row is not None
    return {"bytes": float(row[0]), "files": float(row[1]), "rows": float(row[2] or 0)}


def grown_client_partition(con: duckdb.DuckDBPyConnection, out: Path, layout: Layout, copies: int) -> float:
    """Bytes of the read columns of one level=client day partition with `copies` x the clients.

    Written, not multiplied: each real client row is copied under new client ids with its
    figures jittered (identical copies would compress unrealistically well).
    """
    target = out / "grown_client_partition.parquet"
    con.execute(
        f"""
        copy (
            select
                client_id || '-' || cast(copy_number as varchar) as client_id,
                reseller_id,
                user_id,
                period_start,
                cast(sessions * (0.5 + hash(client_id, copy_number, 1) % 1000 / 1000) as bigint) as sessions,
                cast(requests * (0.5 + hash(client_id, copy_number, 2) % 1000 / 1000) as bigint) as requests
            from wh.marts.agg_session_metrics
            cross join range({copies}) as copies(copy_number)
            where grain = 'day' and level = 'client'
              and period_date = (select max(period_date) from wh.marts.agg_session_metrics)
        ) to '{target}' (format parquet, compression gzip, row_group_size 10000000)
        """
    )
    columns = ", ".join(f"'{column}'" for column in layout.columns)
    row = con.execute(
        f"select sum(total_compressed_size) from parquet_metadata('{target}') "
        f"where path_in_schema in ({columns})"
    ).fetchone()
    assert row is not None
    return float(row[0])


def measure_all(warehouse: Path, events_per_day: float) -> list[dict[str, object]]:
    """Each layout's files, rows and bytes on this warehouse, and its MB at `events_per_day`."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    totals = con.execute(
        """
        select count(*), count(distinct event_date), count(distinct client_id),
               (select client_id from wh.marts.fct_requests group by 1 order by count(*) desc limit 1)
        from wh.marts.fct_requests
        """
    ).fetchone()
    assert totals is not None
    requests, days, clients, client = totals
    if not requests:
        raise SystemExit(f"{warehouse} has no requests: build it first")
    per_day = requests / days
    scale = events_per_day / per_day
    print(
        f"warehouse: {requests} requests over {days} days ({per_day:,.0f}/day), {clients} clients; "
        f"busiest client {client}; scale to {events_per_day:,.0f}/day = x{scale:,.0f}",
        file=sys.stderr,
    )
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as out:
        for layout in layouts(client):
            root = export(con, layout, Path(out))
            found = measure(con, layout, root, client)
            # The data spans `days` days; a 90-day query touches 90 such partitions.
            at_90 = found["bytes"] / max(found["files"], 1) * DAYS
            grown = None
            if not layout.grows_with_events:
                grown = grown_client_partition(con, Path(out), layout, round(scale)) * DAYS / MB
            results.append(
                {
                    "query": layout.label,
                    "table": layout.table,
                    "partitioned_by": list(layout.partition_by),
                    **found,
                    "projected_mb": at_90 * scale / MB if layout.grows_with_events else at_90 / MB,
                    "projected_mb_clients_grown": grown,
                    "scale": scale,
                }
            )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path, help="a DuckDB warehouse dbt built (read only)")
    parser.add_argument("--events-per-day", type=float, default=10_000_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        parser.error(f"no warehouse at {args.warehouse}")
    results = measure_all(args.warehouse, args.events_per_day)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"| query (client level, {DAYS} days) | files | rows | bytes here "
        f"| MB at {args.events_per_day:,.0f} events/day |"
    )
    print("|---|---|---|---|---|")
    for result in results:
        projected = f"{result['projected_mb']:,.3f}"
        if result["projected_mb_clients_grown"] is not None:
            projected += f" (clients fixed) to {result['projected_mb_clients_grown']:,.1f} (clients grown)"
        print(
            f"| {result['query']} | {result['files']:.0f} | {result['rows']:.0f} | "
            f"{result['bytes']:,.0f} | {projected} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
