"""Athena bytes of the dbt runs on the twin: Trino's own query statistics, and their
extrapolation to 10M events a day. Pure functions, tested on their own.

Athena bills the bytes its engine (Trino) reads from S3; on the twin Trino reports the same
figure for every query as `physicalInputDataSize` (the bytes read from the files: gzip JSON of
the raw table, Parquet column chunks of the models). One dbt run's bytes are the sum over the
queries it sent.

Extrapolation, from the layouts measured on the twin (docs/performance.md says why):
- every table the project reads or writes is partitioned by day (`ingest_date` for the raw
  files, `event_date` for the models), and every read of an incremental run and of the scoped
  data tests is bounded by day partitions. The bytes of a day partition grow with the events of
  that day, so bytes read and bytes rewritten are scaled by 10M / (the measured day's events);
  footers and small metadata, which do not grow, are scaled too (an over-estimate);
- the hourly run is measured, not modelled: the bench lands day 31 hour by hour as the hourly
  ingest does (bench/hourly.py), the hours before its last in one run and its last hour in
  the next, and measures that last run: its reads, the raw data of its hour, and what it
  wrote. Each is scaled by the same factor, so the ratio is the one measured, except that
  footers and metadata, which do not grow with events, are scaled too (an over-estimate).
  The last hour of a day is the largest hourly run: the day partitions it reads are fullest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Airlift's DataSize spelling ("547B", "1.50kB", "12MB"): binary multiples.
_UNITS = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4, "PB": 1024**5}
_DATA_SIZE = re.compile(r"^\s*([0-9.]+)\s*([kMGTP]?B)\s*$")


def data_size_bytes(text: str) -> int:
    """Bytes of a Trino DataSize string such as "3040B" or "1.50MB"."""
    match = _DATA_SIZE.match(text)
    if match is None:
        raise ValueError(f"not a Trino data size: {text!r}")
    return round(float(match.group(1)) * _UNITS[match.group(2)])


# dbt's query comment names the node: `-- /* {"app": "dbt", ..., "node_id": "model.x.y"} */`.
_NODE_ID = re.compile(r'"node_id":\s*"([^"]+)"')
_COMMENT = re.compile(r"^\s*--[^\n]*\n|^\s*/\*.*?\*/", re.DOTALL)
# How many of a run's largest readers the figures list, to show where its bytes go.
LARGEST_QUERIES = 8


@dataclass(frozen=True)
class QueryBytes:
    query_id: str
    state: str
    physical_input_bytes: int
    node: str = ""
    kind: str = ""
    target: str = ""


# The table a statement writes: `insert into`, `merge into`, `create table [if not exists]`.
_TARGET = re.compile(
    r"^(?:insert\s+into|merge\s+into|create\s+table(?:\s+if\s+not\s+exists)?)\s+([\w\".]+)", re.IGNORECASE
)


def _statement(sql: str) -> str:
    text = sql
    while (match := _COMMENT.match(text)) is not None:
        text = text[match.end() :]
    return text.lstrip()


def statement_kind(sql: str) -> str:
    """The first keyword of a statement after its comments (merge, create, insert, select, ...)."""
    words = _statement(sql).split(maxsplit=1)
    return words[0].lower() if words else ""


def statement_target(sql: str) -> str:
    """The table an insert, merge or CTAS writes (its last name part, unquoted), else ""."""
    match = _TARGET.match(_statement(sql))
    return match.group(1).split(".")[-1].strip('"') if match else ""


def query_bytes(basic_infos: Iterable[Mapping[str, Any]]) -> list[QueryBytes]:
    """One entry per query of Trino's `/v1/query` list (its BasicQueryInfo JSON)."""
    queries = []
    for info in basic_infos:
        sql = info.get("query") or ""
        node = _NODE_ID.search(sql)
        queries.append(
            QueryBytes(
                query_id=info["queryId"],
                state=info["state"],
                physical_input_bytes=data_size_bytes(info["queryStats"]["physicalInputDataSize"]),
                node=node.group(1) if node else "",
                kind=statement_kind(sql),
                target=statement_target(sql),
            )
        )
    return queries


def run_figures(queries: list[QueryBytes], min_billed_bytes: int) -> dict[str, Any]:
    """One run's scanned bytes: total, the queries that read data, and what Athena would bill
    (every query that reads data is billed at least `min_billed_bytes`)."""
    reading = [q.physical_input_bytes for q in queries if q.physical_input_bytes > 0]
    return {
        "queries": len(queries),
        "queries_reading_data": len(reading),
        "failed_queries": sum(1 for q in queries if q.state == "FAILED"),
        "scanned_bytes": sum(reading),
        "largest_query_bytes": max(reading, default=0),
        "billed_bytes": sum(max(b, min_billed_bytes) for b in reading),
        # Where the bytes go: the largest readers, by dbt node and statement kind.
        "largest_queries": [
            {"node": q.node, "kind": q.kind, "target": q.target, "bytes": q.physical_input_bytes}
            for q in sorted(queries, key=lambda q: q.physical_input_bytes, reverse=True)[:LARGEST_QUERIES]
            if q.physical_input_bytes > 0
        ],
    }


def scale_to(events_per_day_measured: int, events_per_day: int) -> float:
    """The factor from the measured day's partitions to a day of `events_per_day` events."""
    if events_per_day_measured <= 0:
        raise ValueError("the measured day holds no events: nothing to extrapolate from")
    return events_per_day / events_per_day_measured


def hourly_increment_at_scale(
    *,
    scanned_bytes: int,
    billed_scanned_per_query: list[int],
    new_raw_bytes: int,
    rewritten_bytes: int,
    events_per_day_measured: int,
    events_per_day: int,
    min_billed_bytes: int,
) -> dict[str, Any]:
    """One hourly incremental run at `events_per_day`, from the measured run of one hour on a
    day of `events_per_day_measured` events: its reads, its hour's raw data and what it wrote
    all scale with the day's events. The target's ratio is scanned / (new raw + rewritten).
    """
    factor = scale_to(events_per_day_measured, events_per_day)
    scanned = scanned_bytes * factor
    new_raw = new_raw_bytes * factor
    rewritten = rewritten_bytes * factor
    return {
        "scale_factor": round(factor, 3),
        "scanned_bytes": round(scanned),
        "billed_bytes": round(sum(max(b * factor, min_billed_bytes) for b in billed_scanned_per_query)),
        "new_raw_bytes": round(new_raw),
        "rewritten_bytes": round(rewritten),
        "ratio": ratio_to_written(scanned, new_raw, rewritten),
    }


def ratio_to_written(scanned: float, new_raw: float, rewritten: float) -> float | None:
    """Scanned bytes over the new raw data plus the partitions rewritten (None when both are 0)."""
    base = new_raw + rewritten
    return None if base <= 0 else round(scanned / base, 3)


def daily_tests_at_scale(
    *,
    scanned_bytes: int,
    billed_scanned_per_query: list[int],
    events_per_day_measured: int,
    events_per_day: int,
    min_billed_bytes: int,
) -> dict[str, Any]:
    """The daily `dbt test` run at `events_per_day`: its reads are of the last days' partitions."""
    factor = scale_to(events_per_day_measured, events_per_day)
    return {
        "scale_factor": round(factor, 3),
        "scanned_bytes": round(scanned_bytes * factor),
        "billed_bytes": round(sum(max(b * factor, min_billed_bytes) for b in billed_scanned_per_query)),
    }


# A table's folder under dbt's data directory: `<table>-<32 hex>` (a new one each time it is
# created, as dbt-athena's unique table locations), its Parquet under `data/`, Iceberg's own
# files under `metadata/`.
_TABLE_FOLDER = re.compile(r"^(?P<table>.+?)(?:-[0-9a-f]{32})?$")
# The project's state tables (watermarks, landing marks): bookkeeping, not marts.
STATE_TABLE_PREFIX = "dbt_"


@dataclass(frozen=True)
class Written:
    """What a run wrote under dbt's data directory: Parquet data of the models, by table, and
    the rest (Iceberg metadata of every table, the state tables' rows) in one figure."""

    data_by_table: dict[str, int]
    other_bytes: int

    @property
    def data_bytes(self) -> int:
        return sum(self.data_by_table.values())


def written_since(objects: Iterable[tuple[str, int, float]], since: float) -> Written:
    """Objects (key relative to dbt's data directory, size, modified epoch) written at or after
    `since` (less a second of clock rounding): `<schema>/<table folder>/data/...` of a model is
    its data; everything else (metadata, state tables, the metastore's own files) is other."""
    data: dict[str, int] = {}
    other = 0
    for key, size, modified in objects:
        if modified < since - 1:
            continue
        parts = key.split("/")
        folder = _TABLE_FOLDER.match(parts[1]) if len(parts) >= 4 else None
        if folder and parts[2] == "data" and not folder.group("table").startswith(STATE_TABLE_PREFIX):
            table = f"{parts[0]}.{folder.group('table')}"
            data[table] = data.get(table, 0) + size
        else:
            other += size
    return Written(dict(sorted(data.items())), other)
