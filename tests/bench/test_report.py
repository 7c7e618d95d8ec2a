"""The table's rows of the twin stage, whose builds also carry the serving figures."""

from __future__ import annotations

from bench.report import rows


def test_the_twin_rows_show_its_wall_times_beside_duckdbs_and_the_serving_rows_come_from_stages_serve():
    # Given the twin stage's figures (DuckDB beside its full build and first incremental run,
    # the last hour's run the twin's alone) and the serving figures it measured on the same
    # twin, filed under stages.serve
    stages = {
        "twin": {
            "base_days": 7,
            "first_day": "2026-11-14",
            "max_stages": 150,
            "full_build": {
                "twin": {"seconds": 140.9},
                "duckdb": {"seconds": 20.5},
                "twin_to_duckdb": 6.87,
                "queries": 74,
            },
            "incremental": {"twin": {"seconds": 93.3}, "duckdb": {"seconds": 15.0}, "queries": 135},
            "incremental_last_hour": {"twin": {"seconds": 80.1}, "queries": 90},
            "hourly_increment_bytes": {"measured": {}, "at_10m_events_per_day": {}},
            "daily_test_bytes": {"measured": {"data_test_days": 7}, "at_10m_events_per_day": {}},
        },
        "serve": {"base_days": 7, "cold_start": {"total_ms": 959.3}, "load": {"users": 50}},
    }

    # When the table is made
    table = {row[0]: row for row in rows(stages)}

    # Then each twin build's row is its wall time and query count, beside DuckDB's where it ran
    full = next(row for name, row in table.items() if name.startswith("twin (Trino over moto S3) full build"))
    assert full[1:4] == ("140.9 s (74 queries)", "DuckDB on the same raw files: 20.5 s", "6.87x")
    inc = next(row for name, row in table.items() if "incremental run (day 31's hours before" in name)
    assert inc[1:3] == ("93.3 s (135 queries)", "DuckDB on the same raw files: 15.0 s")
    last = next(row for name, row in table.items() if "incremental run (day 31's last hour)" in name)
    assert last[1:4] == ("80.1 s (90 queries)", "-", "-")
    # and the serving rows are there, from the twin stage's serve figures
    assert table["serving: cold start (import the handler, then the typical call)"][1].startswith("959 ms")
