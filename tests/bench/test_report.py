"""The table's rows of the twin stage, whose builds also carry the serving figures."""

from __future__ import annotations

from bench.report import rows


def test_the_twin_rows_show_its_wall_times_alone_and_the_serving_rows_come_from_stages_serve():
    # Given the twin stage's figures (no DuckDB run beside them any more) and the serving figures
    # it measured on the same twin, filed under stages.serve
    stages = {
        "twin": {
            "base_days": 7,
            "first_day": "2026-11-14",
            "max_stages": 150,
            "full_build": {"twin": {"seconds": 140.9}, "queries": 74},
            "incremental": {"twin": {"seconds": 93.3}, "queries": 135},
            "hourly_increment_bytes": {"measured": {}, "at_10m_events_per_day": {}},
            "daily_test_bytes": {"measured": {"data_test_days": 7}, "at_10m_events_per_day": {}},
        },
        "serve": {"base_days": 7, "cold_start": {"total_ms": 959.3}, "load": {"users": 50}},
    }

    # When the table is made
    table = {row[0]: row for row in rows(stages)}

    # Then each twin build's row is its wall time and query count, with no baseline or ratio
    full = next(row for name, row in table.items() if name.startswith("twin (Trino over moto S3) full build"))
    assert full[1:4] == ("140.9 s (74 queries)", "-", "-")
    inc = next(row for name, row in table.items() if "incremental run (day 31)" in name)
    assert inc[1] == "93.3 s (135 queries)"
    # and the serving rows are there, from the twin stage's serve figures
    assert table["serving: cold start (import the handler, then the typical call)"][1].startswith("959 ms")
