"""The production data path into the twin: the ingest lands log files in the lake bucket through
its S3 sink (over the S3 protocol, against moto), then dbt builds on Trino from that bucket.

The same log lines landed by the local CLI (`python -m ingest_lambda`, its local sink) into a
local lake give the DuckDB side: the S3 sink must write the same raw objects as the local one,
and the marts built from them on both engines must be equal row for row.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from twin_helpers import Twin, duckdb_mart, twin_marts

from ingest_lambda.commands import ingest_command, simulate_command
from tests.dbt.dbt_helpers import MARTS, dbt, run_command
from twin.lake import connect
from twin.servers import s3_client
from twin.terraform_names import terraform_names

# The history test_twin.py builds (four days, sessions across midnight): every mart has rows.
SIM = ["--seed", "5", "--days", "4", "--sessions", "100", "--clients", "2", "--end-date", "2026-11-30"]
NOW = "2026-12-01T00:40:00Z"


def bucket_raw_objects(twin: Twin) -> dict[str, bytes]:
    """The raw objects in the twin's lake bucket, by key under the raw prefix (content un-gzipped)."""
    names = terraform_names()
    s3 = s3_client(twin.settings)
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=names.lake_bucket, Prefix=names.raw_prefix
    ):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=names.lake_bucket, Key=item["Key"])["Body"].read()
            objects[item["Key"].removeprefix(names.raw_prefix)] = gzip.decompress(body)
    return objects


def local_raw_objects(lake: Path) -> dict[str, bytes]:
    raw = lake / "raw" / "request_events"
    return {p.relative_to(raw).as_posix(): gzip.decompress(p.read_bytes()) for p in raw.rglob("*.json.gz")}


@pytest.mark.slow
def test_the_ingest_lands_into_the_twin_through_its_s3_sink_and_dbt_builds_from_there(
    twin: Twin, tmp_path: Path
):
    # Given four days of simulated logs
    logs, lake = tmp_path / "logs", tmp_path / "lake"
    run_command(simulate_command(logs, *SIM, "--quiet"))
    # When the ingest lands them into the twin's lake bucket (its S3 sink), with a fixed clock
    summary = json.loads(twin.command("ingest", "--from-dir", str(logs), "--now", NOW).splitlines()[-1])
    # Then every line was read and landed in the bucket Terraform declares, none rejected
    assert summary["lake"] == f"s3://{terraform_names().lake_bucket}"
    assert summary["landed"] > 0
    assert summary["files_rejected"] == 0
    # And the S3 sink wrote the very raw objects the local sink writes from the same lines
    run_command(ingest_command(logs, NOW, "--quiet"), env={"LAKE_ROOT": str(lake)})
    in_bucket, local = bucket_raw_objects(twin), local_raw_objects(lake)
    assert sorted(in_bucket) == sorted(local)
    assert in_bucket == local
    # And landing the same files again lands nothing (the ingest's file state is in the bucket)
    again = json.loads(twin.command("ingest", "--from-dir", str(logs), "--now", NOW).splitlines()[-1])
    assert again["landed"] == 0
    assert again["files_unchanged"] == summary["files"]

    # When dbt builds the models on Trino from what the ingest landed, and DuckDB from the local lake
    twin.command(
        "build", "--ingested", "--target-path", str(tmp_path / "twin-target"), "--resource-type", "model"
    )
    marts = twin_marts(connect(twin.settings))
    warehouse = tmp_path / "warehouse.duckdb"
    dbt(
        ["run", "--target", "local", "--target-path", str(tmp_path / "target")],
        {"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(warehouse)},
    )
    # Then every mart the API reads is equal row for row on both engines
    for mart in MARTS:
        columns, twin_rows = marts[mart]
        duck_rows = duckdb_mart(warehouse, mart, columns)
        assert sum(twin_rows.values()) > 0, mart
        assert twin_rows - duck_rows == Counter(), mart
        assert duck_rows - twin_rows == Counter(), mart
