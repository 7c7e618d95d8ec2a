"""Athena bytes from Trino's statistics on the twin, and their extrapolation (pure, no twin)."""

from __future__ import annotations

import pytest

from bench.stages.twin import data_test_window
from bench.twin_bytes import (
    daily_tests_at_scale,
    data_size_bytes,
    hourly_increment_at_scale,
    query_bytes,
    ratio_to_written,
    run_figures,
    written_since,
)

MB = 10_000_000


def info(query_id: str, size: str, state: str = "FINISHED", query: str = "") -> dict:
    stats = {"physicalInputDataSize": size}
    return {"queryId": query_id, "state": state, "query": query, "queryStats": stats}


def test_trino_data_sizes_are_read_as_bytes():
    assert data_size_bytes("547B") == 547
    assert data_size_bytes("1.50kB") == 1536
    assert data_size_bytes("2MB") == 2 * 1024**2
    with pytest.raises(ValueError, match="not a Trino data size"):
        data_size_bytes("lots")


def test_a_run_sums_the_bytes_its_queries_read_and_bills_each_at_least_the_minimum():
    # Given a run of three queries, one reading nothing (DDL, metadata) and one failed
    queries = query_bytes([info("a", "0B"), info("b", "3000000B"), info("c", "25000000B", "FAILED")])
    figures = run_figures(queries, MB)
    # Then the scanned bytes are those read; the billed ones take 10 MB for the small reader
    assert figures["scanned_bytes"] == 28_000_000
    assert figures["queries_reading_data"] == 2
    assert figures["failed_queries"] == 1
    assert figures["billed_bytes"] == MB + 25_000_000
    assert figures["largest_query_bytes"] == 25_000_000


def test_a_run_lists_its_largest_readers_by_dbt_node_and_statement_kind():
    # Given dbt's statements, each under its query comment, and one without a comment
    merge = '-- /* {"app": "dbt", "node_id": "model.x.fct_sessions"} */\nmerge into t using s'
    create = '/* {"app": "dbt", "node_id": "model.x.int_session_hours"} */ create table t as x'
    insert = 'insert into "iceberg"."marts"."fct_sessions__dbt_tmp" (a, b) select 1, 2'
    queries = query_bytes(
        [
            info("a", "5MB", query=merge),
            info("b", "0B", query="show tables"),
            info("c", "9MB", query=create),
            info("d", "7MB", query=insert),
        ]
    )
    # When the run's figures are taken
    largest = run_figures(queries, MB)["largest_queries"]
    # Then the readers are listed largest first, named by node, kind and the table they write (an
    # insert dbt sent without its comment is still named by its table); one that read nothing is not
    assert largest == [
        {"node": "model.x.int_session_hours", "kind": "create", "target": "t", "bytes": 9 * 1024**2},
        {"node": "", "kind": "insert", "target": "fct_sessions__dbt_tmp", "bytes": 7 * 1024**2},
        {"node": "model.x.fct_sessions", "kind": "merge", "target": "t", "bytes": 5 * 1024**2},
    ]


def test_an_hourly_run_at_scale_scales_its_reads_its_hours_raw_data_and_its_writes_alike():
    # Given the run of one hour on a day of 100k events: 10 MB of raw data landed in that hour,
    # 5 MB written and 30 MB scanned in two queries
    scaled = hourly_increment_at_scale(
        scanned_bytes=30_000_000,
        billed_scanned_per_query=[29_000_000, 1_000_000],
        new_raw_bytes=10_000_000,
        rewritten_bytes=5_000_000,
        events_per_day_measured=100_000,
        events_per_day=10_000_000,
        min_billed_bytes=MB,
    )
    # Then all three scale 100x, and the ratio is the one measured
    assert scaled["scale_factor"] == 100
    assert scaled["scanned_bytes"] == 3_000_000_000
    assert scaled["rewritten_bytes"] == 500_000_000
    assert scaled["new_raw_bytes"] == 1_000_000_000
    assert scaled["ratio"] == round(30 / (10 + 5), 3)
    # And each query is billed on its own scaled bytes (the small one now above the minimum)
    assert scaled["billed_bytes"] == 3_000_000_000


def test_the_daily_test_run_scales_with_the_events_of_a_day():
    scaled = daily_tests_at_scale(
        scanned_bytes=2_000_000,
        billed_scanned_per_query=[1_000_000, 1_000_000],
        events_per_day_measured=100_000,
        events_per_day=1_000_000,
        min_billed_bytes=MB,
    )
    assert scaled["scanned_bytes"] == 20_000_000
    # Each query scans 10 MB at scale: exactly the minimum
    assert scaled["billed_bytes"] == 2 * MB


def test_nothing_to_extrapolate_from_an_empty_day_or_nothing_written():
    with pytest.raises(ValueError, match="no events"):
        daily_tests_at_scale(
            scanned_bytes=1,
            billed_scanned_per_query=[1],
            events_per_day_measured=0,
            events_per_day=1,
            min_billed_bytes=1,
        )
    assert ratio_to_written(10, 0, 0) is None


def test_the_test_window_is_put_where_the_default_one_is_the_day_after_day_31():
    from datetime import date

    # Given day 31 on 2026-11-21 (landed on the 22nd) and today the 2nd of December
    # Then the window reaches 7 days before the 22nd: 7 + 10 days back from today
    assert data_test_window(date(2026, 11, 21), date(2026, 12, 2)) == 17
    # And on the day after day 31 itself, the default window
    assert data_test_window(date(2026, 11, 21), date(2026, 11, 22)) == 7


def test_the_cost_model_gets_the_twin_runs_at_scale_and_their_queries():
    from bench.run import twin_cost_inputs

    # Given a twin stage with its hourly run and daily test run extrapolated to 10M events a day
    twin = {
        "hourly_increment_bytes": {
            "measured": {"queries_reading_data": 80},
            "at_10m_events_per_day": {"scanned_bytes": 32_000_000_000},
        },
        "daily_test_bytes": {
            "measured": {"queries_reading_data": 109},
            "at_10m_events_per_day": {"scanned_bytes": 83_000_000_000},
        },
    }
    # When the cost inputs are taken from it (and from a bench run without a twin stage)
    inputs, none = twin_cost_inputs(twin), twin_cost_inputs({})
    # Then each run's bytes at scale and its queries are passed on; nothing without the stage
    assert inputs == {
        "run": {"scanned_bytes_at_10m_events_per_day": 32_000_000_000, "queries_reading_data": 80},
        "test": {"scanned_bytes_at_10m_events_per_day": 83_000_000_000, "queries_reading_data": 109},
    }
    assert none == {}


def test_what_a_run_wrote_counts_the_models_parquet_apart_from_metadata_and_state():
    # Given objects under dbt's data directory, some written before the run started at t=100
    uuid = "0123456789abcdef0123456789abcdef"
    objects = [
        (f"marts/fct_requests-{uuid}/data/event_date=2026-11-21/a.parquet", 700, 150.0),
        (f"marts/fct_requests-{uuid}/data/event_date=2026-11-20/b.parquet", 300, 100.5),
        (f"marts/fct_requests-{uuid}/data/event_date=2026-11-19/old.parquet", 9_000, 50.0),
        (f"marts/fct_requests-{uuid}/metadata/00042.metadata.json", 5_000, 150.0),
        (f"marts/agg_session_metrics-{uuid}/data/grain=day/c.parquet", 40, 150.0),
        (f"marts/dbt_staged_watermarks-{uuid}/data/d.parquet", 60, 150.0),
        ("marts/fct_requests/.trinoSchema", 466, 150.0),
    ]
    # When the run's writes are taken
    written = written_since(objects, since=101.0)
    # Then the models' Parquet counts by table, within a second of clock rounding, and the
    # metadata, the state tables and the metastore's files count apart
    assert written.data_by_table == {"marts.agg_session_metrics": 40, "marts.fct_requests": 1_000}
    assert written.data_bytes == 1_040
    assert written.other_bytes == 5_000 + 60 + 466
