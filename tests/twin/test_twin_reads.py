"""Readers never see a half-written mart on the twin (issue 13, section 2).

The API reads the marts while the scheduled build rewrites them, so every model must replace
its rows in one Iceberg commit: a reader then sees a mart as it was before the run or as it is
after it, never in between (e.g. once a partition's old rows are deleted but before its new
ones are inserted). One incremental run, checked twice:
- Iceberg keeps every snapshot, so each snapshot the run committed on a table behind a mart is
  read back (`FOR VERSION AS OF`) and must equal that table before or after the run. This does
  not depend on timing.
- A reader queries the marts again and again while the run executes, as the API would, and
  every answer must equal the mart before or after the run.
States are compared through fingerprints: row count and the sum of every numeric column, per
grain and level where a mart has them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pytest
import trino
from test_twin import SIM, land
from trino.exceptions import Error as TrinoError
from twin_helpers import Twin

from ingest_lambda.commands import simulate_command
from tests.dbt.dbt_helpers import MARTS, run_command
from twin.lake import connect, execute
from twin.terraform_names import terraform_names

# profiles.yml's `twin` target writes every model to this catalog (Iceberg tables).
ICEBERG = "iceberg"
# Models only: data and unit tests read the marts, they write none of them.
MODELS_ONLY = ("--exclude", "test_type:unit", "test_type:data")
# The API's readers poll about this often in the loop (seconds between two reads).
READ_EVERY = 0.2
# Reads that must overlap the window in which the run commits to the marts' tables, for the
# loop to have had a real chance to see a half-written mart (a read of every mart takes well
# under a second on the twin; the window lasts several seconds).
MIN_READS_WHILE_WRITING = 5
NUMERIC = ("tinyint", "smallint", "integer", "bigint", "real", "double", "decimal")
GROUPS = ("grain", "level")
# How many partial states a failure lists.
SHOWN = 12

# A fingerprint: per group (a mart's grain and level, or '' for the whole mart), the row count
# then the sum of each numeric column.
Fingerprint = dict[str, tuple[Decimal | None, ...]]


def measures(columns: Mapping[str, str]) -> list[str]:
    """Row count and exact sums of the numeric columns (floats rounded first, so the sum does not
    depend on the order the rows are read in), all as decimal(38, 6): one array type per mart."""
    exprs = ["cast(count(*) as decimal(38, 6))"]
    for name, data_type in columns.items():
        if data_type in ("real", "double"):
            exprs.append(f"sum(cast(round({name}, 6) as decimal(38, 6)))")
        elif data_type.startswith(NUMERIC):
            exprs.append(f"sum(cast({name} as decimal(38, 6)))")
    return exprs


def fingerprint_sql(table: str, columns: Mapping[str, str], version: int | None = None) -> str:
    """One row per group: `grp`, the group's key, and `measures`, an array(decimal(38, 6))."""
    groups = [c for c in GROUPS if c in columns]
    key = "concat_ws('|', " + ", ".join(groups) + ")" if groups else "''"
    as_of = f" for version as of {version}" if version is not None else ""
    group_by = f" group by {key}" if groups else ""
    return (
        f"select {key} as grp, array[{', '.join(measures(columns))}] as measures"
        f" from {table}{as_of}{group_by}"
    )


def as_fingerprint(rows: list[list]) -> Fingerprint:
    return {grp: tuple(values) for grp, values in rows}


def row_count(fingerprint: Fingerprint) -> int:
    return sum(int(values[0]) for values in fingerprint.values())


@dataclass(frozen=True)
class Schema:
    """The marts' schema on the twin: each table's or view's columns (name -> Trino type)."""

    name: str
    columns: dict[str, dict[str, str]]

    @classmethod
    def read(cls, connection: trino.dbapi.Connection) -> Schema:
        name = terraform_names().marts_database
        rows = execute(
            connection,
            f"select table_name, column_name, data_type from {ICEBERG}.information_schema.columns"
            f" where table_schema = '{name}' order by table_name, ordinal_position",
        )
        columns: dict[str, dict[str, str]] = {}
        for table, column, data_type in rows:
            columns.setdefault(table, {})[column] = data_type
        return cls(name=name, columns=columns)

    def table(self, name: str) -> str:
        return f'{ICEBERG}.{self.name}."{name}"'

    def fingerprint(
        self, connection: trino.dbapi.Connection, name: str, version: int | None = None
    ) -> Fingerprint:
        return as_fingerprint(
            execute(connection, fingerprint_sql(self.table(name), self.columns[name], version))
        )

    def all_marts_sql(self) -> str:
        """Every mart's fingerprint in one query, as one read of the API's would see them."""
        return " union all ".join(
            f"select '{mart}' as mart, grp, measures"
            f" from ({fingerprint_sql(self.table(mart), self.columns[mart])})"
            for mart in MARTS
        )


def tables_behind(manifest: dict, model: str) -> set[str]:
    """The tables a model's rows are stored in: itself, or for a view the tables it reads
    (a view has no snapshots of its own; the run rewrites the tables under it)."""
    node = manifest["nodes"][f"model.request_analytics.{model}"]
    if node["config"]["materialized"] != "view":
        return {model}
    tables: set[str] = set()
    for parent in node["depends_on"]["nodes"]:
        if parent.startswith("model."):
            tables |= tables_behind(manifest, parent.split(".")[-1])
    return tables


@dataclass
class Read:
    started: float
    ended: float
    marts: dict[str, Fingerprint] = field(default_factory=dict)
    error: str | None = None


def read_marts_until(stop: threading.Event, twin: Twin, sql: str, reads: list[Read]) -> None:
    """Query every mart every READ_EVERY seconds until `stop`; an error is an answer too (the API
    would fail), kept in the Read."""
    connection = connect(twin.settings)
    while not stop.is_set():
        read = Read(started=time.time(), ended=0.0)
        try:
            for mart, grp, values in execute(connection, sql):
                read.marts.setdefault(mart, {})[grp] = tuple(values)
        except TrinoError as error:
            read.error = str(error)
        read.ended = time.time()
        reads.append(read)
        stop.wait(READ_EVERY)


@dataclass(frozen=True)
class Snapshot:
    table: str
    snapshot_id: int
    committed_at: datetime
    fingerprint: Fingerprint


@dataclass(frozen=True)
class IncrementalRun:
    started: float
    ended: float
    before: dict[str, Fingerprint]  # every mart and every table behind one
    after: dict[str, Fingerprint]
    tables: set[str]  # the tables behind the marts
    snapshots: list[Snapshot]  # committed on those tables during the run, oldest first
    reads: list[Read]


@pytest.fixture(scope="module")
def run(twin: Twin, tmp_path_factory: pytest.TempPathFactory) -> IncrementalRun:
    tmp = tmp_path_factory.mktemp("twin_reads")
    logs, lake = tmp / "logs", tmp / "lake"
    run_command(simulate_command(logs, *SIM, "--quiet"))
    files = sorted(logs.glob("*.log"))
    assert len(files) == 4
    # Given the first two days landed and built on the twin (this module's own lake: the twin
    # starts it from empty whatever other modules built)
    land(files[:2], lake, "2026-11-29T00:40:00Z", tmp)
    twin.build(lake, tmp / "target-1", *MODELS_ONLY)
    manifest = json.loads((tmp / "target-1" / "manifest.json").read_text())
    connection = connect(twin.settings)
    schema = Schema.read(connection)
    tables = set().union(*(tables_behind(manifest, mart) for mart in MARTS))
    before = {name: schema.fingerprint(connection, name) for name in sorted(set(MARTS) | tables)}
    # And the next two days landed
    land(files[2:], lake, "2026-12-01T00:40:00Z", tmp)
    # When the twin builds incrementally while a reader queries the marts again and again
    stop, reads = threading.Event(), []
    reader = threading.Thread(target=read_marts_until, args=(stop, twin, schema.all_marts_sql(), reads))
    reader.start()
    # (Trino's clock, which stamps the snapshots, is this machine's)
    started_at = execute(connection, "select current_timestamp")[0][0]
    started = time.time()
    try:
        twin.build(lake, tmp / "target-2", *MODELS_ONLY)
    finally:
        ended = time.time()
        stop.set()
        reader.join()
    after = {name: schema.fingerprint(connection, name) for name in before}
    snapshots = []
    for table in sorted(tables):
        committed = execute(
            connection,
            f'select snapshot_id, committed_at from {ICEBERG}.{schema.name}."{table}$snapshots"'
            f" where committed_at > from_iso8601_timestamp('{started_at.isoformat()}')",
        )
        snapshots += [
            Snapshot(table, snapshot_id, committed_at, schema.fingerprint(connection, table, snapshot_id))
            for snapshot_id, committed_at in committed
        ]
    snapshots.sort(key=lambda s: s.committed_at)
    return IncrementalRun(started, ended, before, after, tables, snapshots, reads)


def describe(run: IncrementalRun, name: str, fingerprint: Fingerprint) -> str:
    return (
        f"{row_count(fingerprint)} rows (before the run {row_count(run.before[name])},"
        f" after it {row_count(run.after[name])})"
    )


@pytest.mark.slow
def test_the_incremental_run_changes_every_mart(run: IncrementalRun):
    # Then each mart and table behind one differs after the run: the other tests compare states
    # that can be told apart
    unchanged = [name for name in run.before if run.before[name] == run.after[name]]
    assert unchanged == []
    assert all(row_count(run.after[name]) > 0 for name in run.after)


@pytest.mark.slow
def test_every_snapshot_the_run_commits_holds_a_whole_mart(run: IncrementalRun):
    # Then every table behind a mart got at least one snapshot during the run ...
    assert {s.table for s in run.snapshots} == run.tables
    # ... and each of them, read back, is the table before or after the run, never in between
    partial = [
        f"{s.table} snapshot {s.snapshot_id} ({s.committed_at:%H:%M:%S.%f}):"
        f" {describe(run, s.table, s.fingerprint)}"
        for s in run.snapshots
        if s.fingerprint not in (run.before[s.table], run.after[s.table])
    ]
    assert partial == [], (
        f"{len(partial)} of {len(run.snapshots)} snapshots hold a partial table:\n"
        + "\n".join(partial[:SHOWN])
    )


@pytest.mark.slow
def test_a_reader_never_sees_a_partial_mart_while_the_run_rewrites_them(run: IncrementalRun):
    # Then the reader queried the marts many times while the run committed to their tables
    assert run.snapshots, "the run committed nothing to the marts' tables"
    writing_from = run.snapshots[0].committed_at.timestamp()
    writing_to = run.snapshots[-1].committed_at.timestamp()
    while_writing = [r for r in run.reads if r.ended >= writing_from and r.started <= writing_to]
    during_run = [r for r in run.reads if r.ended >= run.started and r.started <= run.ended]
    print(
        f"\n{len(run.reads)} reads, {len(during_run)} during the run ({run.ended - run.started:.1f} s),"
        f" {len(while_writing)} while it committed ({writing_to - writing_from:.1f} s)"
    )
    assert len(while_writing) >= MIN_READS_WHILE_WRITING
    # And every answer was each mart as it was before the run or as it is after it
    partial = []
    for read in run.reads:
        at = f"{read.started - run.started:+.1f} s into the run"
        if read.error is not None:
            partial.append(f"read {at} failed: {read.error}")
            continue
        for mart in MARTS:
            fingerprint = read.marts.get(mart, {})
            if fingerprint not in (run.before[mart], run.after[mart]):
                partial.append(f"{mart}, {at}: {describe(run, mart, fingerprint)}")
    assert partial == [], f"{len(partial)} partial answers in {len(run.reads)} reads:\n" + "\n".join(
        partial[:SHOWN]
    )
