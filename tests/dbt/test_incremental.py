"""A history of incremental runs ends in exactly the marts a full refresh builds.

The simulator's delivery files are landed one at a time, with the ingest clock advancing, into
one lake, and `dbt run` follows each landing on the same warehouse. Two files land on each
ingest date (one just after midnight, one late in the day), so every second run finds the
partition it read last time grown. The simulated data has re-delivered requests and late events
(up to days old), so runs rewrite days they built before. A full refresh over the final lake,
into a second warehouse, must then give the same rows in every mart.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import pytest
from dbt_helpers import MARTS, dbt_in_process, differing_rows, run_command, scalar

from ingest_lambda.commands import ingest_command, simulate_command


def simulation(days: int, sessions: int) -> list[str]:
    """The simulator's arguments: the same seed, clients and last day, `days` days long."""
    return [
        "--seed",
        "5",
        "--days",
        str(days),
        "--sessions",
        str(sessions),
        "--clients",
        "2",
        "--end-date",
        "2026-11-30",
    ]


SIM = simulation(days=6, sessions=120)
# Two days of the same simulation, for the rewritten-file test.
SIM_TWO_DAYS = simulation(days=2, sessions=40)


def ingest_clock(delivery_day: dt.date, position: int) -> str:
    """Land file pairs on one ingest date: the earlier day's file at 00:40, the next at 23:20."""
    if position % 2 == 0:
        landed = delivery_day + dt.timedelta(days=1)
        return f"{landed.isoformat()}T00:40:00Z"
    return f"{delivery_day.isoformat()}T23:20:00Z"


@pytest.mark.slow
def test_incremental_history_equals_full_refresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given: the simulator's delivery files, and an empty lake and warehouse
    logs, lake = tmp_path / "logs", tmp_path / "lake"
    run_command(simulate_command(logs, *SIM, "--quiet"))
    incremental_wh, full_wh = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    files = sorted(logs.glob("*.log"))
    assert len(files) == 6

    # When: each file lands on its own, followed by an incremental run on the same warehouse
    target = ["--target-path", str(tmp_path / "target")]
    env = {"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(incremental_wh)}
    for position, log_file in enumerate(files):
        one = tmp_path / "deliveries" / log_file.stem
        one.mkdir(parents=True)
        shutil.copy(log_file, one / log_file.name)
        day = dt.date.fromisoformat(log_file.stem.removeprefix("app-"))
        run_command(ingest_command(one, ingest_clock(day, position), "--quiet"), env={"LAKE_ROOT": str(lake)})
        dbt_in_process(["run", *target], env, monkeypatch)

    # And: a full refresh of the final lake into a second warehouse
    full_env = {"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(full_wh)}
    dbt_in_process(["run", "--full-refresh", *target], full_env, monkeypatch)

    # Then: both warehouses hold the same rows in every mart, none of them empty
    for mart in MARTS:
        assert scalar(full_wh, f"select count(*) from wh.marts.{mart}") > 0, mart
        assert differing_rows(incremental_wh, full_wh, mart) == (0, 0), mart
    # And: the history really was incremental (each run staged rows of its own)
    staged = "wh.staging.stg_lake__request_events"
    assert scalar(incremental_wh, f"select count(distinct staged_at) from {staged}") == len(files)
    # And: each run appended one watermark per model, and the daily maintenance keeps only the
    # latest of each (the state does not grow with the runs)
    watermarks = "wh.main.dbt_staged_watermarks"
    rows = f"select count(*) from {watermarks} where model_name = 'int_session_hours'"
    assert scalar(incremental_wh, rows) == len(files)
    dbt_in_process(["run-operation", "maintain_tables", *target], env, monkeypatch)
    assert scalar(incremental_wh, rows) == 1
    assert scalar(incremental_wh, f"select count(*) - count(distinct model_name) from {watermarks}") == 0
    latest = f"select max(staged_watermark) from {watermarks} where model_name = 'int_session_hours'"
    assert scalar(incremental_wh, latest) == scalar(incremental_wh, f"select max(staged_at) from {staged}")
    # And: staging's landing marks, one per log group after the maintenance, hold each group's
    # latest staged landing (what the next run's read-back starts from, without reading history)
    marks = "wh.main.dbt_landing_marks"
    assert scalar(incremental_wh, f"select count(*) - count(distinct log_group) from {marks}") == 0
    mismatched = f"""
        select count(*) from (
            select log_group, max(landed_at) as latest from {staged} group by log_group
        ) as staged_groups
        full outer join {marks} as marks using (log_group)
        where staged_groups.latest is distinct from marks.latest_landed_at
    """
    assert scalar(incremental_wh, mismatched) == 0
    assert scalar(incremental_wh, f"select count(*) from {marks}") >= 1


@pytest.mark.slow
def test_a_raw_file_rewritten_with_more_lines_is_read_again_and_deduplicated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: two simulated days landed and built once
    logs, lake = tmp_path / "logs", tmp_path / "lake"
    run_command(simulate_command(logs, *SIM_TWO_DAYS, "--quiet"))
    run_command(ingest_command(logs, "2026-12-01T00:40:00Z", "--quiet"), env={"LAKE_ROOT": str(lake)})
    incremental_wh, full_wh = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    target = ["--target-path", str(tmp_path / "target")]
    env = {"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(incremental_wh)}
    dbt_in_process(["run", *target], env, monkeypatch)
    before = scalar(incremental_wh, "select count(*) from wh.marts.fct_requests")

    # When: one raw file already read is rewritten under the same name with other bytes: its
    # own lines again (copies of requests already staged) and one request never seen before
    raw = sorted(lake.glob("raw/request_events/ingest_date=*/*.json.gz"))[0]
    lines = gzip.decompress(raw.read_bytes()).decode().splitlines()
    extra = json.loads(lines[0])
    extra["request_id"] = f"{extra['request_id']}-rewritten"
    raw.write_bytes(gzip.compress(("\n".join([*lines, json.dumps(extra)]) + "\n").encode()))
    dbt_in_process(["run", *target], env, monkeypatch)

    # Then: the new request is staged once and the old copies add nothing
    after = scalar(incremental_wh, "select count(*) from wh.marts.fct_requests")
    assert after == before + 1
    assert (
        scalar(
            incremental_wh,
            f"select count(*) from wh.marts.fct_requests where request_id = '{extra['request_id']}'",
        )
        == 1
    )
    # And: every mart equals a full refresh of the same lake
    dbt_in_process(["run", "--full-refresh", *target], {**env, "WAREHOUSE_PATH": str(full_wh)}, monkeypatch)
    for mart in MARTS:
        assert differing_rows(incremental_wh, full_wh, mart) == (0, 0), mart
