"""The twin's state is keyed by LAKE_ROOT (moto only, no Trino: a few seconds)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import free_port
from twin.lake import claim_lake, upload_raw
from twin.servers import ensure_buckets, s3_client, start_moto, stop_moto
from twin.settings import TwinSettings
from twin.terraform_names import terraform_names


def write_raw(lake: Path, day: str, name: str, lines: list[str]) -> None:
    path = lake / "raw" / "request_events" / f"ingest_date={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[TwinSettings]:
    env = {**os.environ, "TWIN_STATE_DIR": str(tmp_path / "state"), "TWIN_S3_PORT": str(free_port())}
    settings = TwinSettings.from_env(env)
    start_moto(settings)
    try:
        ensure_buckets(settings)
        yield settings
    finally:
        stop_moto(settings)


def keys(settings: TwinSettings) -> list[str]:
    listing = s3_client(settings).list_objects_v2(Bucket=terraform_names().lake_bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.mark.slow
def test_another_lake_root_starts_empty_and_the_same_one_uploads_only_new_files(settings, tmp_path):
    # Given lake A with two raw files, claimed and uploaded
    lake_a, lake_b = tmp_path / "a", tmp_path / "b"
    write_raw(lake_a, "2026-11-20", "one.json.gz", ['{"request_id": "r-1"}'])
    write_raw(lake_a, "2026-11-21", "two.json.gz", ['{"request_id": "r-2"}'])
    a = replace(settings, lake_root=lake_a)
    assert claim_lake(a) is True
    assert upload_raw(a) == (2, 2)
    # When lake A gains a file and is built again
    write_raw(lake_a, "2026-11-21", "three.json.gz", ['{"request_id": "r-3"}'])
    assert claim_lake(a) is False
    # Then only the new file is uploaded, under the raw prefix Terraform declares
    assert upload_raw(a) == (1, 3)
    assert keys(a) == [
        "raw/request_events/ingest_date=2026-11-20/one.json.gz",
        "raw/request_events/ingest_date=2026-11-21/three.json.gz",
        "raw/request_events/ingest_date=2026-11-21/two.json.gz",
    ]
    # When another LAKE_ROOT is built
    write_raw(lake_b, "2026-11-25", "other.json.gz", ['{"request_id": "r-9"}'])
    b = replace(settings, lake_root=lake_b)
    assert claim_lake(b) is True
    upload_raw(b)
    # Then the bucket holds that lake's files and nothing else
    assert keys(b) == ["raw/request_events/ingest_date=2026-11-25/other.json.gz"]
