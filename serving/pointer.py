"""The serving pointer: one JSON object naming the committed version of every table the API reads.

A dbt build rewrites the Iceberg tables one after another, each commit atomic on its own. A reader
that looked each table up in the catalog while a build ran could pair a new `agg_session_metrics`
with an old `fct_sessions`. So the API never reads the catalog: after a SUCCESSFUL build the
runner (AWS: Glue's `metadata_location` of each table; the twin: Trino's file metastore, which
keeps the same table parameters as files beside the marts) writes one object,
`<marts prefix>_serving/current.json`, listing each table's current metadata file. S3 replaces an
object atomically, so a reader sees the old set or the new one, never a mix; a failed build writes
nothing and the previous set stays served. Metadata files are immutable by name, so everything a
pointer names can be cached for as long as it is served.

Pure and typed: callers pass the boto3 clients (S3, Glue) in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FORMAT = 1
# Under the marts prefix (the API's IAM role reads only that prefix): a name no dbt schema takes.
POINTER_NAME = "_serving/current.json"
# The Iceberg tables the API reads (docs/contracts.md section 3).
SERVED_TABLES: tuple[str, ...] = (
    "agg_session_metrics",
    "agg_product_metrics",
    "fct_sessions",
    "fct_session_day_continuations",
    "fct_product_session_day_continuations",
    "fct_requests",
    "fct_request_products",
)
_METADATA = re.compile(r"^s3://[a-z0-9.\-]{3,63}/[^?#\s']+/metadata/[^/?#\s']+\.metadata\.json$")


class PointerError(ValueError):
    """A table is not an Iceberg table with a metadata location, or a pointer is malformed."""


@dataclass(frozen=True)
class Pointer:
    """The committed version of every served table: its metadata file, by table name."""

    tables: Mapping[str, str]
    committed_at: str
    run_id: str

    def to_json(self) -> bytes:
        body = {
            "format": FORMAT,
            "committed_at": self.committed_at,
            "run_id": self.run_id,
            "tables": dict(sorted(self.tables.items())),
        }
        return json.dumps(body, indent=2, sort_keys=True).encode()

    @property
    def version(self) -> tuple[tuple[str, str], ...]:
        """What identifies the version: the metadata files (two pointers with the same are the same)."""
        return tuple(sorted(self.tables.items()))

    @classmethod
    def from_json(cls, text: str | bytes, required: Iterable[str] = SERVED_TABLES) -> Pointer:
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise PointerError(f"the serving pointer is not JSON: {exc}") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise PointerError(f"the serving pointer is not format {FORMAT}")
        tables = body.get("tables")
        if not isinstance(tables, dict):
            raise PointerError("the serving pointer has no tables")
        missing = sorted(set(required) - set(tables))
        if missing:
            raise PointerError(f"the serving pointer lacks {', '.join(missing)}")
        for name, location in tables.items():
            _check_location(name, location)
        return cls(
            tables=tables, committed_at=str(body.get("committed_at", "")), run_id=str(body.get("run_id", ""))
        )


def _check_location(table: str, location: object) -> str:
    # The location goes into SQL as a string literal: only an s3:// metadata file path is accepted.
    if not isinstance(location, str) or not _METADATA.match(location):
        raise PointerError(f"{table}: {location!r} is not an s3://.../metadata/<name>.metadata.json file")
    return location


def metadata_location(table: str, parameters: Mapping[str, Any]) -> str:
    """The current metadata file of an Iceberg table from its catalog parameters (Glue's
    `Table.Parameters`, or the same map in Trino's file metastore)."""
    if str(parameters.get("table_type", "")).upper() != "ICEBERG":
        raise PointerError(f"{table} is not an Iceberg table (table_type {parameters.get('table_type')!r})")
    return _check_location(table, parameters.get("metadata_location"))


def glue_locations(glue: Any, database: str, tables: Iterable[str] = SERVED_TABLES) -> dict[str, str]:
    """Each table's metadata_location as Glue's GetTable gives it (AWS)."""
    return {
        table: metadata_location(
            table, glue.get_table(DatabaseName=database, Name=table)["Table"]["Parameters"]
        )
        for table in tables
    }


def file_metastore_locations(
    s3: Any, bucket: str, catalog_prefix: str, schema: str, tables: Iterable[str] = SERVED_TABLES
) -> dict[str, str]:
    """Each table's metadata_location from Trino's file metastore (the twin's Glue): the table's
    `.trinoSchema` file under the catalog directory holds the parameters Glue would."""
    found = {}
    for table in tables:
        key = f"{catalog_prefix}{schema}/{table}/.trinoSchema"
        try:
            body = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except s3.exceptions.NoSuchKey:
            raise PointerError(f"{table} is not in the metastore (s3://{bucket}/{key})") from None
        found[table] = metadata_location(table, body.get("parameters", {}))
    return found


def pointer_key(marts_prefix: str) -> str:
    return f"{marts_prefix.rstrip('/')}/{POINTER_NAME}"


def pointer_url(bucket: str, marts_prefix: str) -> str:
    return f"s3://{bucket}/{pointer_key(marts_prefix)}"


def split_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URL."""
    match = re.match(r"^s3://([^/]+)/(.+)$", url)
    if not match:
        raise PointerError(f"not an s3://bucket/key URL: {url!r}")
    return match.group(1), match.group(2)


def publish(
    s3: Any, bucket: str, marts_prefix: str, tables: Mapping[str, str], now: datetime, run_id: str
) -> Pointer:
    """Write the pointer (one PUT: readers see the previous one or this one) and return it."""
    pointer = Pointer(tables=dict(tables), committed_at=now.isoformat(), run_id=run_id)
    s3.put_object(
        Bucket=bucket,
        Key=pointer_key(marts_prefix),
        Body=pointer.to_json(),
        ContentType="application/json",
        # Readers poll it; no cache between S3 and them may keep an old version.
        CacheControl="no-store",
    )
    return pointer
