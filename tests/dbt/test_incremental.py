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
import shutil
from pathlib import Path

import pytest
from dbt_helpers import MARTS, dbt_in_process, differing_rows, run_python, scalar

SIM = ["--seed", "5", "--days", "6", "--sessions", "120", "--clients", "2", "--end-date", "2026-11-30"]


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
    run_python(["-m", "ingest_lambda.simulate", "--out", str(logs), *SIM, "--quiet"])
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
        run_python(
            ["-m", "ingest_lambda", "--from-dir", str(one), "--now", ingest_clock(day, position), "--quiet"],
            env={"LAKE_ROOT": str(lake)},
        )
        dbt_in_process(["run", *target], env, monkeypatch)

    # And: a full refresh of the final lake into a second warehouse
    full_env = {"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(full_wh)}
    dbt_in_process(["run", "--full-refresh", *target], full_env, monkeypatch)

    # Then: both warehouses hold the same rows in every mart, none of them empty
    for mart in MARTS:
        assert scalar(full_wh, f"select count(*) from wh.marts.{mart}") > 0, mart
        assert differing_rows(incremental_wh, full_wh, mart) == (0, 0), mart
    # And: the history really was incremental (it rewrote days across several runs)
    watermarks = "wh.main.dbt_incremental_watermarks"
    runs = scalar(incremental_wh, f"select count(*) from {watermarks} where model_name = 'int_session_hours'")
    assert runs == len(files)
