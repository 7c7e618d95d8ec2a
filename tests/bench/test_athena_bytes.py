"""Row-group byte accounting on real Parquet files written by DuckDB, checked against DuckDB's
own parquet_metadata() filtered in SQL, and column/predicate extraction from the API's SQL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from bench.athena_bytes import (
    ChunkRow,
    Predicate,
    partition_of,
    render_sql,
    scanned_bytes,
    table_scans,
    typed,
)
from bench.stages.athena import Scale, date_bounds, route_statements, statement_bytes, view_layouts

TYPES = {"event_date": "DATE", "client_id": "VARCHAR", "session_id": "VARCHAR", "sessions": "BIGINT"}


@pytest.fixture(scope="module")
def mart(tmp_path_factory) -> Path:
    """Two event_date partitions; in each, one row group per client (rows sorted by client; DuckDB
    cuts row groups at multiples of its 2048-row vectors, hence 2048 rows per client)."""
    out = tmp_path_factory.mktemp("parquet") / "fct"
    con = duckdb.connect()
    con.execute(
        """
        create table fct as
        select date '2026-11-01' + (i // 6144)::int as event_date,
               ['acme', 'globex', 'initech'][(i % 6144) // 2048 + 1] as client_id,
               'session-' || i as session_id,
               (i % 7)::bigint as sessions
        from range(12288) as r(i)
        order by event_date, client_id, i
        """
    )
    con.execute(
        f"copy fct to '{out}' "
        "(format parquet, partition_by (event_date), compression gzip, row_group_size 2048)"
    )
    return out


def metadata(directory: Path) -> tuple[list[ChunkRow], dict[str, int]]:
    files = sorted(str(p) for p in directory.rglob("*.parquet"))
    rows = duckdb.sql(
        "select file_name, row_group_id, row_group_num_rows, path_in_schema, stats_min_value, "
        f"stats_max_value, total_compressed_size from parquet_metadata({files})"
    ).fetchall()
    return [ChunkRow(*r) for r in rows], {f: Path(f).stat().st_size for f in files}


def test_only_chunks_of_read_columns_in_matching_row_groups_of_selected_partitions_count(mart):
    # Given a query for one client from the second day on
    sql = render_sql(
        "SELECT client_id, SUM(sessions) AS sessions FROM marts.fct "
        "WHERE client_id = ? AND event_date >= CAST(? AS DATE) GROUP BY client_id",
        ["globex", "2026-11-02"],
    )
    (scan,) = table_scans(sql).values()
    chunks, sizes = metadata(mart)
    # When its bytes are summed
    got = scanned_bytes(scan, chunks, ["event_date"], TYPES, sizes)
    # Then only the 2026-11-02 file, only globex's row group and only client_id + sessions count,
    # exactly as DuckDB's own metadata filtered in SQL says
    files = sorted(str(p) for p in mart.rglob("*.parquet"))
    expected_chunks = duckdb.sql(
        f"""
        with md as (select * from parquet_metadata({files})),
        groups as (
            select file_name, row_group_id from md
            where path_in_schema = 'client_id' and stats_min_value <= 'globex' and stats_max_value >= 'globex'
        )
        select sum(total_compressed_size) from md join groups using (file_name, row_group_id)
        where file_name like '%event_date=2026-11-02%' and path_in_schema in ('client_id', 'sessions')
        """
    ).fetchone()[0]
    selected = [f for f in files if "event_date=2026-11-02" in f]
    expected_footer = sizes[selected[0]] - sum(c.compressed_bytes for c in chunks if c.file == selected[0])
    assert got.columns == ["client_id", "sessions"]
    assert (got.files_selected, got.files_total) == (1, 2)
    assert (got.row_groups_selected, got.row_groups_total) == (1, 6)
    assert got.rows_selected == 2048
    assert got.column_chunk_bytes == expected_chunks > 0
    assert got.footer_bytes == expected_footer > 0
    assert got.partitions_selected == ["event_date=2026-11-02"]


def test_without_a_prunable_predicate_every_row_group_and_partition_counts(mart):
    # Given a global query (scope filter TRUE) with an OR that statistics cannot prune with
    sql = "SELECT session_id FROM marts.fct WHERE TRUE AND (client_id = 'acme' OR sessions > 3)"
    (scan,) = table_scans(sql).values()
    chunks, sizes = metadata(mart)
    got = scanned_bytes(scan, chunks, ["event_date"], TYPES, sizes)
    # Then all of the session_id and client_id and sessions chunks are read
    read = {"session_id", "client_id", "sessions"}
    assert got.row_groups_selected == got.row_groups_total == 6
    assert got.column_chunk_bytes == sum(c.compressed_bytes for c in chunks if c.column in read)
    assert scan.predicates == []


def test_the_api_statements_of_every_route_for_one_client():
    # Given the SQL each route sends for client acme over 90 days (captured from the query layer)
    statements = route_statements("acme", ("s-1", date(2026, 11, 2)), date(2026, 11, 21))
    scans = {route: table_scans(render_sql(*tries[0])) for route, tries in statements.items()}
    # Then each route reads the mart(s) it should, with the client's equality to prune with
    series = scans["GET /v1/metrics/sessions"]["agg_session_metrics"]
    assert {"period_start", "sessions", "requests", "client_id", "level", "grain"} <= series.columns
    assert Predicate("client_id", "=", "acme") in series.predicates
    assert Predicate("grain", "=", "day") in series.predicates
    assert Predicate("period_start", ">=", datetime(2026, 8, 24)) in series.predicates
    products = scans["GET /v1/metrics/products"]["fct_product_session_day_continuations"]
    assert Predicate("event_date", "<=", date(2026, 11, 21)) in products.predicates
    # And the session's requests read both facts, each filtered by the session inside its subquery
    requests = scans["GET /v1/sessions/{session_id}/requests"]
    assert {"fct_requests", "fct_request_products"} <= set(requests)
    assert {"request_id", "occurred_at", "method", "path", "status", "duration_ms", "session_id"} <= (
        requests["fct_requests"].columns
    )
    assert {"request_id", "line_number", "product_id", "unit_price", "session_id"} <= (
        requests["fct_request_products"].columns
    )
    assert Predicate("session_id", "=", "s-1") in requests["fct_request_products"].predicates
    assert Predicate("client_id", "=", "acme") in requests["fct_requests"].predicates
    # And the sessions page, answered no rows, tries a day, a week and then no window, each try
    # bounding the started_on partitions by `to`, the first two also from below
    tries = [table_scans(render_sql(*t))["fct_sessions"] for t in statements["GET /v1/sessions"]]
    assert [date_bounds(t.predicates, "started_on") for t in tries] == [
        (date(2026, 11, 21), date(2026, 11, 21)),
        (date(2026, 11, 14), date(2026, 11, 21)),
        (None, date(2026, 11, 21)),
    ]
    # And the session's requests, hinted with its start day, read that started_on partition
    # and the facts from that day on; answered no rows, they ask again without the hint
    hinted, unhinted = (
        table_scans(render_sql(*t)) for t in statements["GET /v1/sessions/{session_id}/requests"]
    )
    assert date_bounds(hinted["fct_sessions"].predicates, "started_on") == (
        date(2026, 11, 2),
        date(2026, 11, 2),
    )
    assert date_bounds(hinted["fct_requests"].predicates, "event_date") == (date(2026, 11, 2), None)
    assert date_bounds(unhinted["fct_requests"].predicates, "event_date") == (None, None)
    assert all(
        len(t) == 1 for route, t in statements.items() if "sessions" not in route or "metrics" in route
    )


def test_a_statement_scales_from_the_days_it_covers_here_to_the_days_it_asks_for(mart):
    # Given the two-day mart, measured at 1,000 events a day (10,000x short of 10M)
    chunks, sizes = metadata(mart)
    layouts = {"fct": {"partitioned_by": ["event_date"]}}
    scale = Scale(2, [date(2026, 11, 1), date(2026, 11, 2)], 10_000.0)
    one_day = "SELECT sessions FROM fct WHERE event_date >= CAST(? AS DATE) AND event_date <= CAST(? AS DATE)"

    # When one statement asks for the second day only, one for 90 days ending then, one is open
    day = statement_bytes(
        one_day, ["2026-11-02", "2026-11-02"], {"fct": (chunks, sizes)}, layouts, {"fct": TYPES}, scale
    )
    range_ = statement_bytes(
        one_day, ["2026-08-05", "2026-11-02"], {"fct": (chunks, sizes)}, layouts, {"fct": TYPES}, scale
    )
    open_ = statement_bytes(
        "SELECT sessions FROM fct", [], {"fct": (chunks, sizes)}, layouts, {"fct": TYPES}, scale
    )

    from_day = statement_bytes(
        "SELECT sessions FROM fct WHERE event_date >= CAST(? AS DATE)",
        ["2026-11-02"],
        {"fct": (chunks, sizes)},
        layouts,
        {"fct": TYPES},
        scale,
    )
    assert (from_day["days_asked"], from_day["days_covered"]) == (1, 1)
    assert from_day["partition_pruning"] == "by date: from 2026-11-02 on"
    assert from_day["bytes_90d_at_10m_events_per_day"] == day["bytes_90d_at_10m_events_per_day"]
    # Then the day reads one partition and stays one day at scale; the range covers both days
    # here and scales to its 90; the open one is taken as 90 days of history, every partition
    assert (day["days_asked"], day["days_covered"], day["partition_pruning"]) == (1, 1, "by date: 1 days")
    assert day["bytes_90d_at_10m_events_per_day"] == round(
        day["column_chunk_bytes"] * 10_000 + day["footer_bytes"]
    )
    assert (range_["days_asked"], range_["days_covered"]) == (90, 2)
    assert range_["bytes"] == open_["bytes"]
    assert range_["column_chunk_bytes"] > day["column_chunk_bytes"]
    assert range_["bytes_90d_at_10m_events_per_day"] == round(
        (range_["column_chunk_bytes"] * 10_000 + range_["footer_bytes"]) * 90 / 2
    )
    assert open_["partition_pruning"].startswith("none")
    assert (open_["days_asked"], open_["days_covered"]) == (90, 2)


def test_date_bounds_take_the_tightest_constant_on_each_side():
    predicates = [
        Predicate("started_on", ">=", date(2026, 11, 1)),
        Predicate("started_on", ">", date(2026, 11, 3)),
        Predicate("started_on", "<", date(2026, 11, 10)),
        Predicate("started_at", ">=", datetime(2026, 11, 5, 10)),
        Predicate("client_id", "=", "acme"),
    ]
    assert date_bounds(predicates, "started_on") == (date(2026, 11, 4), date(2026, 11, 9))
    assert date_bounds(predicates, "event_date") == (None, None)
    assert date_bounds([Predicate("event_date", "=", date(2026, 11, 2))], "event_date") == (
        date(2026, 11, 2),
        date(2026, 11, 2),
    )


def test_casts_and_flipped_comparisons_become_typed_predicates():
    sql = render_sql(
        "SELECT a FROM t WHERE CAST(? AS TIMESTAMP) <= period_start AND day < CAST(? AS DATE) AND n > ?",
        ["2026-11-01 00:00:00.000000", "2026-11-20", 5],
    )
    (scan,) = table_scans(sql).values()
    assert scan.predicates == [
        Predicate("period_start", ">=", datetime(2026, 11, 1)),
        Predicate("day", "<", date(2026, 11, 20)),
        Predicate("n", ">", 5),
    ]


def test_predicates_against_min_max():
    eq = Predicate("c", "=", 5)
    assert eq.may_match(1, 5)
    assert not eq.may_match(6, 9)
    assert eq.may_match(None, None)
    assert Predicate("c", ">=", 5).may_match(1, 5)
    assert not Predicate("c", ">", 5).may_match(1, 5)
    assert Predicate("c", "<", 5).may_match(4, 9)
    assert not Predicate("c", "<", 5).may_match(5, 9)


def test_rendering_needs_one_parameter_per_placeholder_and_quotes_strings():
    assert render_sql("x = ? AND y = ?", ["o'k", 3]) == "x = 'o''k' AND y = 3"
    with pytest.raises(ValueError, match="2 placeholders but 1"):
        render_sql("x = ? AND y = ?", [1])


def test_partition_values_and_types():
    path = "/p/grain=day/period_start=2026-11-03%2000%3A00%3A00/data_0.parquet"
    assert partition_of(path, ["grain", "period_start"]) == {
        "grain": "day",
        "period_start": "2026-11-03 00:00:00",
    }
    assert typed("2026-11-03 00:00:00", "TIMESTAMP") == datetime(2026, 11, 3)
    assert typed("12.5000", "DECIMAL(18,4)") * 2 == 25
    assert typed("7", "BIGINT") == 7
    assert typed(None, "DATE") is None


def test_a_view_is_laid_out_as_the_table_it_reads_through_other_views():
    # Given a partitioned staging table, a view over it, a view over that view, and a view
    # that joins two models
    def node(name, materialized, upstream, **config):
        nodes = [f"model.request_analytics.{u}" for u in upstream]
        return {
            "name": name,
            "config": {"materialized": materialized, **config},
            "depends_on": {"nodes": nodes},
        }

    nodes = [
        node("stg", "incremental", [], partitioned_by=["event_date"], schema="staging"),
        node("lines", "view", ["stg"], schema="staging"),
        node("fct_lines", "view", ["lines"], schema="marts"),
        node("fct_joined", "view", ["stg", "fct_lines"], schema="marts"),
        node("agg", "table", ["stg"], partitioned_by=["grain", "period_date"], write_compression="ZSTD"),
    ]

    # When the layouts are worked out
    layouts = view_layouts(nodes)

    # Then the views over one model take the staging table's partitions, keeping their schema
    assert layouts["fct_lines"] == {
        "schema": "marts",
        "materialized": "view",
        "partitioned_by": ["event_date"],
        "compression": "gzip",
    }
    assert layouts["lines"]["partitioned_by"] == ["event_date"]
    # and a view over two models, which could be laid out like either, is left unpartitioned
    assert layouts["fct_joined"]["partitioned_by"] == []
    assert layouts["agg"]["partitioned_by"] == ["grain", "period_date"]
    assert layouts["agg"]["compression"] == "zstd"
