"""Helpers for the dbt suites: run dbt on a given lake and warehouse, compare marts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
PROJECT_ARGS = ["--project-dir", "dbt_project", "--profiles-dir", "."]

# Every table the API reads (docs/contracts.md section 3).
MARTS = (
    "fct_requests",
    "fct_request_products",
    "fct_sessions",
    "fct_session_days",
    "agg_session_metrics",
    "fct_product_session_days",
    "agg_product_metrics",
    "fct_session_day_continuations",
    "fct_product_session_day_continuations",
)


def dbt(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run dbt against the repo's project and profiles; fail the test with dbt's output on error."""
    cmd = [str(DBT), *args, *PROJECT_ARGS]
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return proc


def dbt_in_process(args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run dbt inside this process: saves dbt's multi-second import on every one of many runs."""
    from dbt.cli.main import dbtRunner

    with monkeypatch.context() as patched:
        for name, value in env.items():
            patched.setenv(name, value)
        patched.chdir(REPO)
        try:
            result = dbtRunner().invoke([*args, *PROJECT_ARGS, "--quiet"])
        finally:
            release_duckdb()
    if not result.success:
        pytest.fail(f"dbt {' '.join(args)} failed: {result.exception or result.result}")


def release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps per process, so the file's lock is released.

    dbt-duckdb holds it in a class attribute for the life of the process (there is no public
    close), and other processes (the comparisons below) cannot open a locked file.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def run_command(cmd: list[str], env: dict[str, str] | None = None) -> None:
    """Run `cmd` from the repo root; fail the test with its output if it fails."""
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if proc.returncode != 0:
        output = f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{output}")


def query(sql: str, attach: dict[str, Path]) -> list[tuple]:
    """Rows of `sql` over the given warehouses (attached read-only under the given names).

    Runs in a fresh process: dbt run in-process keeps its own DuckDB instance on the files open,
    and DuckDB refuses a second, differently configured instance of a file in one process.
    """
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect()\n"
        "for name, path in json.loads(sys.argv[1]).items():\n"
        "    con.execute(f\"attach '{path}' as {name} (read_only)\")\n"
        "print(json.dumps(con.sql(sys.argv[2]).fetchall(), default=str))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps({k: str(v) for k, v in attach.items()}), sql],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"query failed: {sql}\n{proc.stderr[-3000:]}")
    return [tuple(row) for row in json.loads(proc.stdout)]


def differing_rows(left: Path, right: Path, table: str) -> tuple[int, int]:
    """Rows of marts.<table> only in `left`, and only in `right` (EXCEPT ALL both ways)."""
    left_only = f"select * from l.marts.{table} except all select * from r.marts.{table}"
    right_only = f"select * from r.marts.{table} except all select * from l.marts.{table}"
    rows = query(
        f"select (select count(*) from ({left_only})), (select count(*) from ({right_only}))",
        {"l": left, "r": right},
    )
    return rows[0][0], rows[0][1]


def scalar(warehouse: Path, sql: str) -> object:
    """The single value of `sql` over one warehouse, attached as `wh` (use wh.<schema>.<table>)."""
    return query(sql, {"wh": warehouse})[0][0]
