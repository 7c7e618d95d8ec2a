"""Session fixtures shared by every suite: one small simulated lake and one dbt-built warehouse.

They run the real command-line entry points (simulator, ingest, dbt) in subprocesses, the way
`make demo` does, so every suite tests the parts as users run them; building once per pytest
session keeps `make test` fast.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import os
import socket
import subprocess
import sys
import textwrap
import types
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


# --- the fast lane ------------------------------------------------------------------------------
# `make test-fast` runs `pytest -m "not slow and not browser"`. The marks are added here, from
# what a test uses, never by hand: a test that needs the built lake or warehouse, a dbt run, a
# moto server, checkov, the AWS twin or a browser is slow, and a new test that requests one of
# those fixtures (directly or through another fixture) or calls one of those helpers is slow
# without anyone remembering to say so. A name stands alone, or as "<file>::<name>" where the
# name by itself is too generic.
SLOW_FIXTURES = frozenset(
    {
        "simulated_lake",  # simulator + ingest (this file)
        "built_warehouse",  # dbt build (this file)
        "moto_endpoint",  # moto_server + dbt runs on the Athena target (tests/dbt)
        "tests/terraform/test_checkov.py::report",  # checkov, in its own venv (make checkov-setup)
        "tf_workdir",  # terraform init with the provider mirror (validate, test, graph follow)
    }
)
BROWSER_FIXTURES = frozenset({"browser", "page", "chromium_path", "viewer_dist"})
# Calls in a test's own body that run dbt or build Lambda packages from PyPI wheels.
SLOW_CALLS = frozenset(
    {
        "dbt",
        "dbt_in_process",
        "dbtRunner",
        "run_and_publish",  # dbt_runner: dbt build, then publish
        "local_dbt_args",  # the arguments of a dbt run on the local target, for a subprocess
        "sandbox_env",  # dbt in a subprocess without POSIX semaphores (tests/dbt_runner)
        "tests/terraform/test_packaging.py::build",  # pip download + zip
    }
)
# The AWS twin (Trino and an S3 server on loopback): any fixture or call whose name says so.
TWIN_WORDS = ("twin", "trino")


def _qualified(name: str, filename: str) -> set[str]:
    path = Path(filename)
    if path.is_relative_to(REPO):
        return {name, f"{path.relative_to(REPO).as_posix()}::{name}"}
    return {name}


def _fixture_keys(item: pytest.Item) -> set[str]:
    """Every fixture the test uses (the whole closure), by name and by its definition's file."""
    keys: set[str] = set()
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    for name in getattr(item, "fixturenames", ()):
        keys.add(name)
        for fixture in defs.get(name, ()):
            keys |= _qualified(name, fixture.func.__code__.co_filename)
    return keys


@functools.cache
def _calls(code: types.CodeType) -> frozenset[str]:
    """The names a test function calls in its own body (`f(...)`, `x.f(...)`), by name and file."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
    except (OSError, SyntaxError):
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name:
                names |= _qualified(name, code.co_filename)
    return frozenset(names)


def slow_reason(fixtures: set[str], calls: frozenset[str] = frozenset()) -> str | None:
    """ "browser", "slow", or None (the fast lane) for a test using these fixtures and calls."""
    if fixtures & BROWSER_FIXTURES:
        return "browser"
    if fixtures & SLOW_FIXTURES or calls & SLOW_CALLS:
        return "slow"
    if any(word in key.lower() for key in fixtures | calls for word in TWIN_WORDS):
        return "slow"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        function = getattr(item, "function", None)
        calls = _calls(function.__code__) if function is not None else frozenset()
        reason = slow_reason(_fixture_keys(item), calls)
        if reason == "browser":
            item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.slow)
