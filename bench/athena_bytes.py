"""Bytes a query would scan on Athena, from Parquet metadata: the pure accounting.

Athena (like any Parquet reader) reads, for each file of each partition the query selects, the
footer and then only the column chunks of the columns the query uses, in the row groups whose
min/max statistics can satisfy the query's predicates. This module works that out for one SQL
statement of the API (its parameters bound), given the `parquet_metadata()` rows of the mart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import traverse_scope

# Comparison operators sqlglot parses, and the same operator seen from the other side.
_OPS: dict[type[exp.Expression], str] = {exp.EQ: "=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
_FLIPPED = {"=": "=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
_PARTITION_DIR = re.compile(r"^([^=/]+)=(.*)$")


@dataclass(frozen=True)
class Predicate:
    """`column op value` with a constant value; the only shape statistics can prune with."""

    column: str
    op: str
    value: Any

    def holds(self, value: Any) -> bool:
        return _compare(value, self.op, self.value)

    def may_match(self, low: Any, high: Any) -> bool:
        """Whether some value within [low, high] can satisfy it (unknown bounds: it can)."""
        if low is None or high is None:
            return True
        if self.op == "=":
            return low <= self.value <= high
        if self.op in (">", ">="):
            return _compare(high, self.op, self.value)
        return _compare(low, self.op, self.value)


@dataclass
class TableScan:
    """What one query reads of one table: its columns and its prunable predicates."""

    table: str
    columns: set[str] = field(default_factory=set)
    predicates: list[Predicate] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkRow:
    """One column chunk of one row group, as `parquet_metadata()` reports it."""

    file: str
    row_group: int
    rows: int
    column: str
    min_value: str | None
    max_value: str | None
    compressed_bytes: int


@dataclass
class ScanBytes:
    table: str
    columns: list[str]
    files_total: int = 0
    files_selected: int = 0
    row_groups_total: int = 0
    row_groups_selected: int = 0
    rows_selected: int = 0
    column_chunk_bytes: int = 0
    footer_bytes: int = 0
    partitions_selected: list[str] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return self.column_chunk_bytes + self.footer_bytes


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "=":
        return left == right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    return left <= right


def render_sql(sql: str, params: Sequence[Any]) -> str:
    """Bind `?` placeholders to SQL literals, in order (the API's SQL has no `?` inside strings)."""
    parts = sql.split("?")
    if len(parts) - 1 != len(params):
        raise ValueError(f"{len(parts) - 1} placeholders but {len(params)} parameters")
    out = [parts[0]]
    for value, rest in zip(params, parts[1:], strict=True):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(f"unsupported parameter {value!r}")
        out.append(repr(value) if not isinstance(value, str) else "'" + value.replace("'", "''") + "'")
        out.append(rest)
    return "".join(out)


def _constant(node: exp.Expression) -> tuple[bool, Any]:
    """(True, python value) for a literal or a CAST of a literal to DATE/TIMESTAMP."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        text = node.this.this
        kind = node.to.this
        if kind == exp.DataType.Type.DATE:
            return True, date.fromisoformat(text)
        if kind.value.startswith("TIMESTAMP") or kind == exp.DataType.Type.DATETIME:
            return True, datetime.fromisoformat(text)
        return _constant(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return True, node.this
        return True, int(node.this) if re.fullmatch(r"-?\d+", node.this) else float(node.this)
    return False, None


def _conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    return [node]


def table_scans(sql: str) -> dict[str, TableScan]:
    """Per table (by name): every column the statement names and its `column op constant` terms.

    Walks the statement's scopes (the outer query and every subquery), so a column counts for the
    table its own SELECT reads. Names that turn out to be output aliases are dropped later against
    the table's real columns. Predicates come from WHERE and JOIN ... ON conjunctions of the scope
    that reads the table; an OR, a function or a column-to-column comparison prunes nothing, which
    is what an engine's statistics pruning does with them too.
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    scans: dict[str, TableScan] = {}
    for scope in traverse_scope(tree):
        # The sources this SELECT reads in its FROM/JOINs (scope.sources also lists visible CTEs).
        selected = scope.selected_sources
        tables = {alias: src.name for alias, (_, src) in selected.items() if isinstance(src, exp.Table)}
        # An unqualified column belongs to the scope's table when the scope reads just one source.
        only = next(iter(tables.values())) if len(selected) == 1 and tables else None
        for name in tables.values():
            scans.setdefault(name, TableScan(name))
        for column in scope.columns:
            name = tables.get(column.table) if column.table else only
            if name is not None:
                scans[name].columns.add(column.name)
        select = scope.expression
        conditions = _conjuncts(select.args["where"].this if select.args.get("where") else None)
        for join in select.args.get("joins") or []:
            conditions += _conjuncts(join.args.get("on"))
        for condition in conditions:
            found = _predicate(condition)
            if found is None:
                continue
            column, predicate = found
            name = tables.get(column.table) if column.table else only
            if name is not None:
                scans[name].predicates.append(predicate)
    return scans


def _predicate(condition: exp.Expression) -> tuple[exp.Column, Predicate] | None:
    """`column op constant` (either way round) as a Predicate, else None."""
    op = _OPS.get(type(condition))
    if op is None:
        return None
    left, right = condition.left, condition.right  # type: ignore[attr-defined]
    if isinstance(right, exp.Column):
        left, right, op = right, left, _FLIPPED[op]
    if not isinstance(left, exp.Column):
        return None
    is_constant, value = _constant(right)
    return (left, Predicate(left.name, op, value)) if is_constant else None


def typed(text: str | None, duckdb_type: str) -> Any:
    """A statistic or partition value (text) as the Python value of the column's DuckDB type."""
    if text is None:
        return None
    kind = duckdb_type.upper()
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return int(text)
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return float(text)
    if kind.startswith("DECIMAL"):
        return Decimal(text)
    if kind == "DATE":
        return date.fromisoformat(text)
    if kind.startswith("TIMESTAMP"):
        return datetime.fromisoformat(text.replace("T", " ").rstrip("Z"))
    return text


def partition_of(path: str, partition_columns: Sequence[str]) -> dict[str, str]:
    """The hive `key=value` directories of a file path, for the given partition columns."""
    found: dict[str, str] = {}
    for part in path.replace("\\", "/").split("/"):
        match = _PARTITION_DIR.match(part)
        if match and match[1] in partition_columns:
            found[match[1]] = unquote(match[2])
    return found


def scanned_bytes(
    scan: TableScan,
    chunks: Iterable[ChunkRow],
    partition_columns: Sequence[str],
    column_types: Mapping[str, str],
    file_sizes: Mapping[str, int],
) -> ScanBytes:
    """Sum what the scan reads: footers of the files in selected partitions, plus the chunks of the
    columns it uses in the row groups whose statistics can match every predicate."""
    in_files = [c for c in scan.columns if c in column_types and c not in partition_columns]
    result = ScanBytes(scan.table, sorted(in_files), predicates=list(scan.predicates))
    by_file: dict[str, list[ChunkRow]] = {}
    for chunk in chunks:
        by_file.setdefault(chunk.file, []).append(chunk)
    partition_preds = [p for p in scan.predicates if p.column in partition_columns]
    file_preds = [
        p for p in scan.predicates if p.column in column_types and p.column not in partition_columns
    ]
    for file, rows in sorted(by_file.items()):
        result.files_total += 1
        groups: dict[int, list[ChunkRow]] = {}
        for row in rows:
            groups.setdefault(row.row_group, []).append(row)
        result.row_groups_total += len(groups)
        values = partition_of(file, partition_columns)
        if not all(
            p.column not in values or p.holds(typed(values[p.column], column_types[p.column]))
            for p in partition_preds
        ):
            continue
        result.files_selected += 1
        label = "/".join(f"{k}={values[k]}" for k in partition_columns if k in values)
        if label and label not in result.partitions_selected:
            result.partitions_selected.append(label)
        result.footer_bytes += file_sizes[file] - sum(r.compressed_bytes for r in rows)
        for group in groups.values():
            stats = {r.column: r for r in group}
            if not all(
                p.may_match(
                    typed(stats[p.column].min_value, column_types[p.column]) if p.column in stats else None,
                    typed(stats[p.column].max_value, column_types[p.column]) if p.column in stats else None,
                )
                for p in file_preds
            ):
                continue
            result.row_groups_selected += 1
            result.rows_selected += group[0].rows
            result.column_chunk_bytes += sum(r.compressed_bytes for r in group if r.column in in_files)
    return result
