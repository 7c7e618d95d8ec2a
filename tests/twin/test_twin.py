"""The production path on the AWS twin: Trino (Athena's engine) over moto's S3, the same dbt project.

One history drives every check, to keep the twin's share of `make test` to a few minutes:
the simulator's deliveries land in two batches on different ingest dates; the first is built
whole (models, data tests, unit tests), the second incrementally. Then:
- the marts equal those a full refresh of the same lake builds on the twin;
- the marts equal, row for row, those DuckDB builds from the same raw files (engine parity).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from twin_helpers import Twin, delete_files, duckdb_mart, twin_marts

from ingest_lambda.commands import ingest_command, simulate_command
from tests.dbt.dbt_helpers import MARTS, dbt, run_command
from twin.lake import connect, execute
from twin.terraform_names import terraform_names

SIM = ["--seed", "5", "--days", "4", "--sessions", "100", "--clients", "2", "--end-date", "2026-11-30"]


@dataclass(frozen=True)
class History:
    lake: Path
    first_build: dict
    incremental_marts: dict[str, tuple[list[str], Counter]]
    full_refresh_marts: dict[str, tuple[list[str], Counter]]
    incremental_merges: list[str]
    partition_columns: dict[str, list[str]]
    staged_by_increment: set[str]
    staged_dates: set[str]
    delete_files_before_maintenance: dict[str, int]
    delete_files_after_maintenance: dict[str, int]
    maintained_marts: dict[str, tuple[list[str], Counter]]


def land(logs: list[Path], lake: Path, now: str, tmp: Path) -> None:
    batch = tmp / f"batch-{now[:10]}"
    batch.mkdir()
    for log in logs:
        shutil.copy(log, batch / log.name)
    run_command(ingest_command(batch, now, "--quiet"), env={"LAKE_ROOT": str(lake)})


def merge_statements(connection) -> list[str]:
    """Every MERGE the twin's Trino has finished so far (its query history)."""
    rows = execute(connection, "select query from system.runtime.queries where state = 'FINISHED'")
    leading_comments = r"(\s*--[^\n]*\n|\s*/\*.*?\*/)*"
    return [query for (query,) in rows if re.match(leading_comments + r"\s*merge into", query, re.S)]


@pytest.fixture(scope="module")
def history(twin: Twin, tmp_path_factory: pytest.TempPathFactory) -> History:
    tmp = tmp_path_factory.mktemp("twin_history")
    logs, lake = tmp / "logs", tmp / "lake"
    run_command(simulate_command(logs, *SIM, "--quiet"))
    files = sorted(logs.glob("*.log"))
    assert len(files) == 4
    # Given the first two days landed on 2026-11-29 and built whole on the twin
    land(files[:2], lake, "2026-11-29T00:40:00Z", tmp)
    first = twin.build(lake, tmp / "target-1")
    # When the next two days land on 2026-12-01 (re-deliveries and late events included) and
    # the same twin builds incrementally
    land(files[2:], lake, "2026-12-01T00:40:00Z", tmp)
    twin.build(lake, tmp / "target-2", "--exclude", "test_type:unit")
    incremental = twin_marts(connect(twin.settings))
    merges = merge_statements(connect(twin.settings))
    manifest = json.loads((tmp / "target-2" / "manifest.json").read_text())
    partition_columns = {
        node["name"]: node["config"]["partition_columns"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("partition_columns")
    }
    staging = f"iceberg.{terraform_names().marts_database}.stg_lake__request_events"
    staged = execute(
        connect(twin.settings),
        f"select distinct cast(event_date as varchar), staged_at = (select max(staged_at) from {staging})"
        f" from {staging}",
    )
    # And the daily maintenance compacts every partition (all of them: the simulated days are
    # older than its default window on a later clock) and expires snapshots
    before = delete_files(connect(twin.settings))
    twin.command("maintain", "--vars", "{maintain_days: 100000}", lake_root=lake)
    after = delete_files(connect(twin.settings))
    maintained = twin_marts(connect(twin.settings))
    # And the same lake is rebuilt from scratch on the twin
    twin.build(lake, tmp / "target-3", "--full-refresh", "--exclude", "test_type:unit")
    full = twin_marts(connect(twin.settings))
    return History(
        lake=lake,
        first_build=first,
        incremental_marts=incremental,
        incremental_merges=merges,
        partition_columns=partition_columns,
        staged_by_increment={day for day, latest in staged if latest},
        staged_dates={day for day, _ in staged},
        full_refresh_marts=full,
        delete_files_before_maintenance=before,
        delete_files_after_maintenance=after,
        maintained_marts=maintained,
    )


@pytest.mark.slow
def test_dbt_build_on_the_twin_runs_models_data_tests_and_unit_tests(history: History):
    # Then the first build ran every kind of node, and every one of them passed
    results = history.first_build["results"]
    kinds = Counter(r["unique_id"].split(".")[0] for r in results)
    assert kinds["model"] >= len(MARTS)
    assert kinds["test"] > 50
    assert kinds["unit_test"] > 20
    # (exposures are documentation: dbt reports them as no-ops)
    failed = [
        r["unique_id"]
        for r in results
        if r["status"] not in ("success", "pass") and not r["unique_id"].startswith("exposure.")
    ]
    assert failed == []


@pytest.mark.slow
def test_incremental_run_on_the_twin_equals_a_full_refresh(history: History):
    # Then every mart holds the same rows after the incremental run as after the full refresh
    for mart in MARTS:
        incremental_columns, incremental_rows = history.incremental_marts[mart]
        full_columns, full_rows = history.full_refresh_marts[mart]
        assert incremental_columns == full_columns, mart
        assert sum(full_rows.values()) > 0, mart
        assert incremental_rows - full_rows == Counter(), mart
        assert full_rows - incremental_rows == Counter(), mart


@pytest.mark.slow
def test_incremental_merges_pin_their_target_to_the_partitions_the_new_rows_hold(history: History):
    # Then every incremental model's MERGE pinned each partition column of its target to
    # literals: Trino (Athena's engine) plans no dynamic filter for a MERGE, so without them
    # the target scan read the keys of every partition, over the whole history, on every run
    merged = {}
    for statement in history.incremental_merges:
        table = re.search(r'merge into\s+\S*?"?(\w+)"?\s+as target', statement).group(1)
        merged[table] = statement
    assert set(merged) == set(history.partition_columns)
    for table, statement in merged.items():
        for column in history.partition_columns[table]:
            assert re.search(rf'target\."{column}" in \(cast\(', statement), (table, column)
    # And staging's pin, looked up on the run's new rows, holds every date the run wrote a row
    # on, and only dates the table holds rows on
    pinned = set(re.findall(r"cast\('([0-9-]{10})' as date\)", merged["stg_lake__request_events"]))
    assert history.staged_by_increment
    assert history.staged_by_increment <= pinned <= history.staged_dates


@pytest.mark.slow
def test_maintenance_compacts_the_merged_tables_and_changes_no_row(history: History):
    # Then the incremental MERGEs had left position-delete files (rows updated in place)
    assert sum(history.delete_files_before_maintenance.values()) > 0
    # And the compaction folded every one of them into new data files
    assert history.delete_files_after_maintenance == dict.fromkeys(MARTS, 0)
    # And no mart changed by a single row
    for mart in MARTS:
        assert history.maintained_marts[mart] == history.incremental_marts[mart], mart


@pytest.mark.slow
def test_duckdb_and_the_twin_build_the_same_marts_from_the_same_raw_files(history: History, tmp_path: Path):
    # Given DuckDB's full build of the very lake the twin built
    warehouse = tmp_path / "warehouse.duckdb"
    dbt(
        ["run", "--target", "local", "--target-path", str(tmp_path / "target")],
        {"LAKE_ROOT": str(history.lake), "WAREHOUSE_PATH": str(warehouse)},
    )
    # Then every mart the API reads is equal row for row on both engines
    for mart in MARTS:
        columns, twin_rows = history.full_refresh_marts[mart]
        duck_rows = duckdb_mart(warehouse, mart, columns)
        assert sum(twin_rows.values()) > 0, mart
        assert twin_rows - duck_rows == Counter(), mart
        assert duck_rows - twin_rows == Counter(), mart
