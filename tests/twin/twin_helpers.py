"""The twin's test helpers: a built twin's command line, free loopback ports, the marts of both engines."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import trino

from tests.dbt.dbt_helpers import MARTS
from twin.settings import REPO, TwinSettings
from twin.terraform_names import terraform_names

FOUR_PLACES = decimal.Decimal("0.0001")


def normalized(value: object) -> object:
    """One spelling per value whichever engine returned it (Decimal places, timestamps, floats)."""
    if isinstance(value, decimal.Decimal):
        return value.quantize(FOUR_PLACES)
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="milliseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def twin_marts(connection: trino.dbapi.Connection) -> dict[str, tuple[list[str], Counter]]:
    """Every mart the API reads on the twin: its column names and its rows (a multiset)."""
    schema = terraform_names().marts_database
    marts = {}
    for mart in MARTS:
        cursor = connection.cursor()
        cursor.execute(f"select * from iceberg.{schema}.{mart}")
        rows = cursor.fetchall()
        columns = [d[0] for d in cursor.description]
        marts[mart] = (columns, Counter(tuple(normalized(v) for v in row) for row in rows))
    return marts


def delete_files(connection: trino.dbapi.Connection) -> dict[str, int]:
    """Each mart's Iceberg position-delete files (content 1), which every MERGE that updates adds."""
    schema = terraform_names().marts_database
    counts = {}
    for mart in MARTS:
        cursor = connection.cursor()
        cursor.execute(f'select count(*) from iceberg.{schema}."{mart}$files" where content = 1')
        counts[mart] = int(cursor.fetchall()[0][0])
    return counts


def duckdb_mart(warehouse: Path, mart: str, columns: list[str]) -> Counter:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(f"select {', '.join(columns)} from marts.{mart}").fetchall()
    return Counter(tuple(normalized(v) for v in row) for row in rows)


@dataclass(frozen=True)
class Twin:
    env: dict[str, str]
    settings: TwinSettings

    def command(self, *args: str, lake_root: Path | None = None) -> str:
        """`python -m twin <args>`; its stdout (fails the test on a non-zero exit)."""
        env = {**os.environ, **self.env}
        if lake_root is not None:
            env["LAKE_ROOT"] = str(lake_root)
        cmd = [sys.executable, "-m", "twin", *args]
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.fail(
                f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-8000:]}\n{proc.stderr[-3000:]}"
            )
        return proc.stdout

    def build(self, lake_root: Path, target_path: Path, *dbt_args: str) -> dict:
        """`python -m twin build` over `lake_root`; dbt's run_results.json (fails the test on error)."""
        self.command("build", "--target-path", str(target_path), *dbt_args, lake_root=lake_root)
        return json.loads((target_path / "run_results.json").read_text())
