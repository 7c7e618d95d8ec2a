"""Session fixtures shared by every suite: one small simulated lake and one dbt-built warehouse.

They run the real command-line entry points (simulator, ingest, dbt) in subprocesses, the way
`make demo` does, so every suite tests the parts as users run them; building once per pytest
session keeps `make test` fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from dbt_runner.build import dbt_args
from ingest_lambda.commands import ingest_command, simulate_command

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# A fixed end date keeps the simulated data (and so every expected number) independent of today.
SIM_END_DATE = "2026-11-20"
SIM_ARGS = ["--seed", "11", "--days", "10", "--sessions", "400", "--clients", "3", "--end-date", SIM_END_DATE]
# The ingest run's clock: a day after the last simulated delivery, as a nightly backfill would be.
INGEST_NOW = "2026-11-21T00:30:00Z"


def local_dbt_args(command: str) -> list[str]:
    """dbt's arguments for `command` on the repo's project and profiles, local target (run from REPO)."""
    return dbt_args([command], Path("dbt_project"), Path("."), "local")


@dataclass(frozen=True)
class BuiltLake:
    logs_dir: Path
    lake_root: Path
    manifest: dict


@dataclass(frozen=True)
class BuiltWarehouse:
    lake: BuiltLake
    warehouse_path: Path


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command from the repo root and fail the test with its output when it fails."""
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


@pytest.fixture(scope="session")
def simulated_lake(tmp_path_factory: pytest.TempPathFactory) -> BuiltLake:
    base = tmp_path_factory.mktemp("sim")
    logs, lake = base / "logs", base / "lake"
    run(simulate_command(logs, *SIM_ARGS))
    run(ingest_command(logs, INGEST_NOW), env={"LAKE_ROOT": str(lake)})
    manifest = json.loads((logs / "manifest.json").read_text())
    return BuiltLake(logs_dir=logs, lake_root=lake, manifest=manifest)


@pytest.fixture(scope="session")
def built_warehouse(simulated_lake: BuiltLake, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    warehouse = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    run(
        [str(VENV_BIN / "dbt"), *local_dbt_args("build")],
        env={"LAKE_ROOT": str(simulated_lake.lake_root), "WAREHOUSE_PATH": str(warehouse)},
    )
    return BuiltWarehouse(lake=simulated_lake, warehouse_path=warehouse)
