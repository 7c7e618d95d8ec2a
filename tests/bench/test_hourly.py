"""bench/hourly.py: a simulated delivery day cut at an hour, as the hourly ingest lands it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.hourly import lines_by_hour, split_delivery_day
from tests.conftest import REPO


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sim")
    cmd = [sys.executable, "-m", "ingest_lambda.simulate", "--out", str(out), "--seed", "3", "--days", "2"]
    subprocess.run([*cmd, "--sessions", "200", "--quiet"], cwd=REPO, check=True, capture_output=True)
    return out, json.loads((out / "manifest.json").read_text())


def test_a_day_cut_at_an_hour_keeps_the_earlier_lines_and_that_hours_lines(simulated, tmp_path: Path):
    # Given the second simulated delivery day and its lines per hour
    logs, manifest = simulated
    day = sorted(manifest["lines_by_delivery_hour"])[1]
    log = logs / f"app-{day}.log"
    counts = lines_by_hour(manifest, day)
    lines = log.read_bytes().splitlines(keepends=True)
    # When it is cut at 14:00
    split = split_delivery_day(log, counts, 14, tmp_path)
    before = b"".join(p.read_bytes() for p in split.before.iterdir())
    hour = b"".join(p.read_bytes() for p in split.hour_logs.iterdir())
    # Then the first part holds the lines delivered before 14:00, the second those of 14:00-15:00,
    # in the file's order, and the hours after are left out
    assert before == b"".join(lines[: sum(counts[:14])])
    assert hour == b"".join(lines[sum(counts[:14]) : sum(counts[:15])])
    assert (split.lines_before, split.lines_of_hour) == (sum(counts[:14]), counts[14])
    assert split.lines_of_hour > 0
    # And each part keeps the day in its file name (the bench files raw data by it)
    assert all(day in p.name for folder in (split.before, split.hour_logs) for p in folder.iterdir())


def test_a_manifest_without_hourly_counts_or_an_hour_out_of_range_is_refused(simulated, tmp_path: Path):
    logs, manifest = simulated
    day = sorted(manifest["lines_by_delivery_hour"])[0]
    with pytest.raises(ValueError, match="simulate again"):
        lines_by_hour({}, day)
    with pytest.raises(ValueError, match="hour must be"):
        split_delivery_day(logs / f"app-{day}.log", lines_by_hour(manifest, day), 24, tmp_path)
    with pytest.raises(ValueError, match="the manifest counts"):
        split_delivery_day(logs / f"app-{day}.log", [0] * 24, 3, tmp_path)
