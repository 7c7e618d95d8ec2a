"""The floors under the dbt targets: a persistent typed copy of the lake view, and a new day
appended to it deduplicated on request_id, read through a warehouse attached read-only."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.stages import floor


def warehouse_with_lake_view(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    """A warehouse whose lake.request_events view reads a table the test can add rows to,
    standing in for the view over the raw files that dbt's hook creates."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema lake")
        con.execute("create table lake.landed (request_id varchar, ingest_date varchar, duration_ms bigint)")
        con.execute("create view lake.request_events as select * from lake.landed")
        con.executemany("insert into lake.landed values (?, ?, ?)", rows)
    return path


def add_rows(warehouse: Path, rows: list[tuple[str, str, int]]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.executemany("insert into lake.landed values (?, ?, ?)", rows)


def test_the_copy_holds_every_row_and_the_append_adds_only_new_request_ids(tmp_path: Path) -> None:
    # Given: two requests landed on the first day
    warehouse = warehouse_with_lake_view(
        tmp_path / "warehouse.duckdb", [("r-1", "2026-11-01", 5), ("r-2", "2026-11-01", 7)]
    )
    floor_db = tmp_path / "floor.duckdb"

    # When: the copy is persisted, then a day lands with a re-delivered r-2 and a new r-3
    persisted = floor.persist(floor_db, warehouse)
    add_rows(warehouse, [("r-2", "2026-11-02", 7), ("r-3", "2026-11-02", 9), ("r-4", "2026-11-03", 1)])
    appended = floor.append(floor_db, warehouse, "2026-11-02")

    # Then: the copy had both rows; the append added r-3 only, and nothing of another partition
    assert persisted["rows"] == 2
    assert persisted["bytes"] > 0
    assert appended["rows_added"] == 1
    with duckdb.connect(str(floor_db), read_only=True) as con:
        stored = con.execute("select request_id, ingest_date from requests order by request_id").fetchall()
    assert stored == [("r-1", "2026-11-01"), ("r-2", "2026-11-01"), ("r-3", "2026-11-02")]


def test_the_parquet_copy_is_measured_then_removed(tmp_path: Path) -> None:
    # Given: a warehouse with one landed request
    warehouse = warehouse_with_lake_view(tmp_path / "warehouse.duckdb", [("r-1", "2026-11-01", 5)])
    target = tmp_path / "floor.parquet"

    # When: the same rows are copied to Parquet
    figures = floor.parquet(target, warehouse)

    # Then: its size is kept and the file is gone, so the bench leaves no copy behind
    assert figures["bytes"] > 0
    assert not target.exists()


def test_a_partition_that_is_not_a_date_is_refused(tmp_path: Path) -> None:
    # Given: a persisted copy
    warehouse = warehouse_with_lake_view(tmp_path / "warehouse.duckdb", [("r-1", "2026-11-01", 5)])
    floor.persist(tmp_path / "floor.duckdb", warehouse)

    # When / Then: a partition that is not a date never reaches the SQL
    with pytest.raises(ValueError, match="isoformat"):
        floor.append(tmp_path / "floor.duckdb", warehouse, "2026-11-02' or '1'='1")


def test_the_full_build_floor_is_the_start_up_plus_the_cheaper_copy_and_is_reported() -> None:
    # Given: a table copy slower than the Parquet one, and dbt's start-up
    from bench.report import markdown_table
    from bench.stages.dbt import floor_figures

    figures = floor_figures(
        {"seconds": 10.0, "cpu_seconds": 19.0, "rows": 100, "bytes": 2_000_000},
        {"seconds": 6.0, "cpu_seconds": 11.0, "bytes": 1_000_000},
        {"seconds": 0.9, "cpu_seconds": 1.0, "rows_added": 10},
        4.0,
        {"seconds": 5.0},
        {"seconds": 0.3},
    )

    # When: the report renders it
    table = markdown_table({"dbt": {"floor": figures, "full_build": {"scan_seconds": 5.0}}})

    # Then: the floor takes the Parquet copy, (4 + 6) / 5 = 2x; the append is 0.9 / 0.3 = 3x
    assert figures["full_build_floor_seconds"] == 10.0
    assert figures["full_build_floor_ratio_to_scan"] == 2.0
    assert figures["persist_ratio_to_scan"] == 2.0
    assert figures["append_ratio_to_new_day_scan"] == 3.0
    assert "start-up + the cheaper copy: 2.00x" in table
    assert "| 3.00x |" in table
