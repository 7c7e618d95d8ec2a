"""Floors under the dbt targets: what DuckDB alone, without dbt and without any model logic,
takes to keep one typed copy of the raw requests, and to add a new day to it deduplicated
against the history.

Every build this project can make does at least this much: the API reads a request fact, and
an incremental run must compare new copies with the requests already stored (re-deliveries
must not double-count), so one persistent typed copy of every request is the least a build
writes. The floors run on the same raw files as the dbt stage's scans, through the
warehouse's own lake source view (read-only), into a DuckDB file of their own:

- `persist`: `create table as` the typed scan of every raw file, then a checkpoint (no
  dedupe, no sort, no marts);
- `parquet`: the same rows copied to one Parquet file instead (DuckDB's other cheap sink);
- `append`: one `ingest_date` partition inserted into the persisted copy where its request_id
  is not there yet, then a checkpoint (a lower bound of staging's incremental dedupe, which
  also ranks the copies within the new files).

The warehouse is attached only while a floor runs: the dbt processes of the stage open it for
writing in between, which DuckDB refuses while another process holds it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from bench.measure import remove_database

FLOOR_TABLE = "requests"


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


@contextmanager
def _floor_connection(floor_db: Path | None, warehouse: Path) -> Iterator[Any]:
    """`floor_db` (None: an in-memory database) with the warehouse attached read-only."""
    import duckdb

    con = duckdb.connect(":memory:" if floor_db is None else str(floor_db))
    try:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{_quoted(warehouse)}' as warehouse (read_only true)")
        yield con
    finally:
        con.close()


def _timed_statements(con: Any, statements: list[str]) -> dict[str, float]:
    cpu_started, started = time.process_time(), time.perf_counter()
    for sql in statements:
        con.execute(sql)
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(time.process_time() - cpu_started, 3),
    }


def persist(floor_db: Path, warehouse: Path) -> dict[str, Any]:
    """A fresh `floor_db` holding one typed copy of every raw file the warehouse's lake view
    reads now; the time to write it (scan included) and its rows."""
    remove_database(floor_db)
    with _floor_connection(floor_db, warehouse) as con:
        figures = _timed_statements(
            con,
            [f"create table {FLOOR_TABLE} as select * from warehouse.lake.request_events", "checkpoint"],
        )
        rows = con.execute(f"select count(*) from {FLOOR_TABLE}").fetchone()[0]
    return {**figures, "rows": rows, "bytes": floor_db.stat().st_size}


def parquet(target: Path, warehouse: Path) -> dict[str, Any]:
    """The same typed scan copied to one Parquet file (DuckDB's default snappy) at `target`."""
    target.unlink(missing_ok=True)
    with _floor_connection(None, warehouse) as con:
        figures = _timed_statements(
            con,
            [f"copy (select * from warehouse.lake.request_events) to '{_quoted(target)}' (format parquet)"],
        )
    size = target.stat().st_size
    target.unlink()
    return {**figures, "bytes": size}


def append(floor_db: Path, warehouse: Path, partition: str) -> dict[str, Any]:
    """The rows of `ingest_date = partition` added to the persisted copy unless their
    request_id is already in it; the time and the rows added."""
    partition = date.fromisoformat(partition).isoformat()  # a date, so it can sit in the SQL
    with _floor_connection(floor_db, warehouse) as con:
        before = con.execute(f"select count(*) from {FLOOR_TABLE}").fetchone()[0]
        figures = _timed_statements(
            con,
            [
                f"insert into {FLOOR_TABLE} select * from warehouse.lake.request_events as landed "
                f"where landed.ingest_date = '{partition}' and not exists (select 1 from {FLOOR_TABLE} "
                f"as stored where stored.request_id = landed.request_id)",
                "checkpoint",
            ],
        )
        after = con.execute(f"select count(*) from {FLOOR_TABLE}").fetchone()[0]
    return {**figures, "rows_added": after - before}
