"""The raw table, declared once in terraform/modules/glue_catalog/raw_request_events.json.

Terraform builds the Glue table from that file; the moto Athena gate and the twin read it here,
so the three cannot drift apart. Types there are Hive's (Glue's) spelling; Trino's are derived.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DECLARATION = (
    Path(__file__).resolve().parents[1] / "terraform" / "modules" / "glue_catalog" / "raw_request_events.json"
)

_SIMPLE_TYPES = {
    "string": "varchar",
    "int": "integer",
    "bigint": "bigint",
    "double": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp(3)",
}
_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)")


@dataclass(frozen=True)
class Column:
    name: str
    hive_type: str

    @property
    def trino_type(self) -> str:
        return hive_to_trino(self.hive_type)


@dataclass(frozen=True)
class RawTable:
    name: str
    description: str
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...]
    serde_library: str
    serde_parameters: dict[str, str]
    trino_format: str

    def trino_create_sql(self, catalog: str, schema: str, location: str) -> str:
        """Trino's Hive-connector DDL of the same table, external at `location` (s3://...)."""
        columns = ",\n    ".join(f"{c.name} {c.trino_type}" for c in (*self.columns, *self.partition_keys))
        partitions = ", ".join(f"'{c.name}'" for c in self.partition_keys)
        return (
            f"create table if not exists {catalog}.{schema}.{self.name} (\n    {columns}\n)\n"
            f"with (\n    format = '{self.trino_format}',\n    partitioned_by = array[{partitions}],\n"
            f"    external_location = '{location}'\n)"
        )


def _split_top_level(text: str) -> list[str]:
    """`a:int,b:struct<c:int,d:int>` -> ['a:int', 'b:struct<c:int,d:int>'] (commas inside <> or () stay)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def hive_to_trino(hive: str) -> str:
    """A Hive type (as Glue spells it) in Trino's spelling.

    e.g. array<struct<a:int>> -> array(row(a integer)).
    """
    hive = hive.strip().lower()
    if hive in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[hive]
    if match := _DECIMAL.fullmatch(hive):
        return f"decimal({match.group(1)}, {match.group(2)})"
    if hive.startswith("array<") and hive.endswith(">"):
        return f"array({hive_to_trino(hive[6:-1])})"
    if hive.startswith("struct<") and hive.endswith(">"):
        fields = [field.split(":", 1) for field in _split_top_level(hive[7:-1])]
        return "row(" + ", ".join(f"{name.strip()} {hive_to_trino(kind)}" for name, kind in fields) + ")"
    raise ValueError(f"no Trino spelling for the Hive type {hive!r}")


@cache
def raw_table(path: Path = DECLARATION) -> RawTable:
    """The declaration in `path`, parsed once."""
    doc = json.loads(path.read_text())
    return RawTable(
        name=doc["name"],
        description=doc["table_description"],
        columns=tuple(Column(c["name"], c["type"]) for c in doc["columns"]),
        partition_keys=tuple(Column(c["name"], c["type"]) for c in doc["partition_keys"]),
        serde_library=doc["serde"]["serialization_library"],
        serde_parameters=dict(doc["serde"]["parameters"]),
        trino_format=doc["trino_format"],
    )
