"""The twin stage's subset of the lake: a range of days' raw files, hard-linked (bench/stages/dbt.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench.stages.dbt import lake_of_days

PARTITION = "raw/request_events/ingest_date=2026-10-05"


def raw_lake(root: Path, days: list[str]) -> Path:
    lake = root / "lake"
    (lake / PARTITION).mkdir(parents=True)
    for day in days:
        for part in ("0000", "0001"):
            (lake / PARTITION / f"file-app-{day}-c31f94d21b6f-{part}.json.gz").write_bytes(day.encode())
    (lake / "_state" / "ingest").mkdir(parents=True)
    (lake / "_state" / "ingest" / "local-files.json").write_text('{"app.log": 42}')
    return lake


def test_keeps_the_raw_files_of_the_later_days_hard_linked_with_the_ingest_state(tmp_path: Path) -> None:
    # Given: a lake with two raw files for each of four days and the ingest's state
    lake = raw_lake(tmp_path, ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"])

    # When: the subset starts at the third day
    kept = lake_of_days(lake, tmp_path / "subset", date(2026, 10, 3))

    # Then: only the files of days 3 and 4 are there, as links to the same bytes
    half_files = sorted(p.name for p in (tmp_path / "subset" / PARTITION).iterdir())
    assert kept == 4
    assert half_files == [
        "file-app-2026-10-03-c31f94d21b6f-0000.json.gz",
        "file-app-2026-10-03-c31f94d21b6f-0001.json.gz",
        "file-app-2026-10-04-c31f94d21b6f-0000.json.gz",
        "file-app-2026-10-04-c31f94d21b6f-0001.json.gz",
    ]
    linked = tmp_path / "subset" / PARTITION / half_files[0]
    assert linked.stat().st_ino == (lake / PARTITION / half_files[0]).stat().st_ino
    # and the ingest state comes along, so day 31 lands in the subset as in the whole lake
    assert (tmp_path / "subset" / "_state" / "ingest" / "local-files.json").read_text() == '{"app.log": 42}'


def test_a_raw_file_without_a_day_in_its_name_stops_the_split(tmp_path: Path) -> None:
    # Given: a raw file whose name carries no day
    lake = raw_lake(tmp_path, ["2026-10-01"])
    (lake / PARTITION / "file-app-c31f94d21b6f-0000.json.gz").write_bytes(b"x")

    # When / Then: the split refuses rather than guess which day it belongs to
    with pytest.raises(RuntimeError, match="no day in the raw file name"):
        lake_of_days(lake, tmp_path / "subset", date(2026, 10, 1))


def test_the_twin_subset_keeps_a_range_of_days_and_leaves_out_a_partition(tmp_path: Path) -> None:
    # Given: four days of raw files in one partition, and a file in the new day's partition
    lake = raw_lake(tmp_path, ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"])
    new = lake / "raw/request_events/ingest_date=2026-10-31"
    new.mkdir(parents=True)
    (new / "file-app-2026-10-02-c31f94d21b6f-0000.json.gz").write_bytes(b"late")

    # When: the subset is days 2..3 without the new day's partition
    kept = lake_of_days(lake, tmp_path / "subset", date(2026, 10, 2), date(2026, 10, 3), new.name)

    # Then: only days 2 and 3 of the base partition are there
    assert kept == 4
    assert sorted(p.name[9:19] for p in (tmp_path / "subset").rglob("*.json.gz")) == [
        "2026-10-02",
        "2026-10-02",
        "2026-10-03",
        "2026-10-03",
    ]


@pytest.mark.parametrize("days_after", [0, 1])
def test_the_twin_subset_files_each_day_in_the_partition_an_ingest_would_land_it_in(
    tmp_path: Path, days_after: int
) -> None:
    # Given: three days of raw files landed in one partition (the bench lands its month at once)
    lake = raw_lake(tmp_path, ["2026-10-01", "2026-10-02", "2026-10-03"])

    # When: the subset of days 2..3 is taken as an hourly (same day) or a daily (next morning)
    # ingest would have landed it
    subset = tmp_path / f"subset-{days_after}"
    lake_of_days(lake, subset, date(2026, 10, 2), date(2026, 10, 3), landed_days_after=days_after)

    # Then: each day's files are in the ingest_date partition that many days after it
    placed = sorted((p.parent.name, p.name[9:19]) for p in subset.rglob("*.json.gz"))
    assert sorted(set(placed)) == [
        (f"ingest_date=2026-10-0{2 + days_after}", "2026-10-02"),
        (f"ingest_date=2026-10-0{3 + days_after}", "2026-10-03"),
    ]
