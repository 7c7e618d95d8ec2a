"""Put LAKE_ROOT's raw files into the twin's lake bucket and declare the raw table over them.

The twin's state is keyed by LAKE_ROOT, as the DuckDB warehouse is by WAREHOUSE_PATH: a build
for another LAKE_ROOT first empties the bucket (raw files, marts and the metastore beside them),
so it starts from nothing and holds nothing else; the same LAKE_ROOT uploads only new or
changed files and dbt builds incrementally.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import trino

from serving import pointer
from twin.raw_table import raw_table
from twin.servers import CATALOG, moto_pid, s3_client
from twin.settings import TwinSettings
from twin.terraform_names import terraform_names

RAW_GLOB = "raw/request_events/ingest_date=*/*.json.gz"


def connect(settings: TwinSettings) -> trino.dbapi.Connection:
    return trino.dbapi.connect(host="127.0.0.1", port=settings.trino_port, user="twin", catalog=CATALOG)


def execute(connection: trino.dbapi.Connection, sql: str) -> list[list]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def claimed_lake(settings: TwinSettings) -> str | None:
    """The lake the twin's bucket holds now (a LAKE_ROOT, or the ingest's key), if any."""
    key_file = settings.state_dir / "lake_key.json"
    if not key_file.exists():
        return None
    key = json.loads(key_file.read_text())
    return key["lake_root"] if key.get("moto_pid") == moto_pid(settings) else None


def claim_lake(settings: TwinSettings, lake: str | None = None) -> bool:
    """Make the twin hold one lake's state only (LAKE_ROOT's unless `lake` names another); True
    when the bucket was emptied for it."""
    key_file = settings.state_dir / "lake_key.json"
    key = {"lake_root": lake or str(settings.lake_root), "moto_pid": moto_pid(settings)}
    if key_file.exists() and json.loads(key_file.read_text()) == key:
        return False
    bucket = terraform_names().lake_bucket
    s3 = s3_client(settings)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    key_file.write_text(json.dumps(key))
    return True


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def upload_raw(settings: TwinSettings) -> tuple[int, int]:
    """Upload LAKE_ROOT's raw files the bucket lacks or holds with other bytes: (uploaded, total)."""
    names = terraform_names()
    s3 = s3_client(settings)
    prefix = names.raw_prefix
    present: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names.lake_bucket, Prefix=prefix):
        present.update({item["Key"]: item["ETag"].strip('"') for item in page.get("Contents", [])})
    files = sorted(settings.lake_root.glob(RAW_GLOB))
    uploaded = 0
    for path in files:
        # LAKE_ROOT's layout is the lake's (docs/contracts.md section 2) from raw/request_events/ on.
        key = prefix + path.relative_to(settings.lake_root / "raw" / "request_events").as_posix()
        if present.get(key) != _md5(path):
            s3.upload_file(str(path), names.lake_bucket, key)
            uploaded += 1
    return uploaded, len(files)


def declare_raw_table(settings: TwinSettings) -> int:
    """Create the raw schema and table (once) and register every ingest_date partition: their count."""
    names = terraform_names()
    table = raw_table()
    connection = connect(settings)
    execute(connection, f"create schema if not exists {CATALOG}.{names.raw_database}")
    execute(connection, table.trino_create_sql(CATALOG, names.raw_database, names.raw_location))
    # Glue projects the partitions from the key template; the file metastore lists them instead.
    execute(
        connection, f"call system.sync_partition_metadata('{names.raw_database}', '{table.name}', 'FULL')"
    )
    rows = execute(
        connection, f'select count(*) from {CATALOG}.{names.raw_database}."{table.name}$partitions"'
    )
    return int(rows[0][0])


def drop_stale_temporary_tables(settings: TwinSettings) -> list[str]:
    """Drop the `__dbt_tmp` tables a failed dbt-trino run (a unit test, a model) left behind.

    dbt-trino names them after the node and creates them without `if not exists`, so one left
    over makes every later run of that node fail with TABLE_ALREADY_EXISTS.
    """
    schema = terraform_names().marts_database
    connection = connect(settings)
    if not execute(connection, f"show schemas from iceberg like '{schema}'"):
        return []
    stale = [row[0] for row in execute(connection, f"show tables from iceberg.{schema} like '%__dbt_tmp'")]
    for table in stale:
        execute(connection, f'drop table if exists iceberg.{schema}."{table}"')
    return stale


def publish_twin_marts(settings: TwinSettings) -> pointer.Pointer:
    """Publish the marts' committed versions for the API, read from the file metastore (Glue's stand-in)."""
    names = terraform_names()
    s3 = s3_client(settings)
    bucket, catalog_prefix = pointer.split_s3_url(names.marts_data_dir)
    tables = pointer.file_metastore_locations(s3, bucket, catalog_prefix, names.marts_database)
    now = datetime.now(UTC)
    return pointer.publish(s3, bucket, catalog_prefix, tables, now, run_id=f"twin-{now:%Y%m%dT%H%M%S%f}")
