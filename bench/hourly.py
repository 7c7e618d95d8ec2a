"""A delivery day landed hour by hour, as the hourly ingest lands it in production.

The simulator writes one log file per UTC delivery day, its lines in delivery order, and counts
them per hour of delivery (`lines_by_delivery_hour` in its manifest). `split_delivery_day`
cuts a day's file at an hour into two folders: what the ingest runs before that hour landed,
and that hour's deliveries. The bench lands the first, runs dbt, then lands the hour and
measures the run that follows: the last hourly run of a day, measured, not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOURS_PER_DAY = 24


@dataclass(frozen=True)
class DaySplit:
    """A delivery day's file cut in two: the hours before `hour`, and `hour`'s own deliveries."""

    before: Path
    hour_logs: Path
    hour: int
    lines_before: int
    lines_of_hour: int


def lines_by_hour(manifest: dict[str, Any], day: str) -> list[int]:
    """The simulator's line counts of delivery day `day`, one per UTC hour of delivery."""
    counts = (manifest.get("lines_by_delivery_hour") or {}).get(day)
    if counts is None:
        raise ValueError(f"the simulator's manifest counts no lines per hour for {day}: simulate again")
    if len(counts) != HOURS_PER_DAY:
        raise ValueError(f"{day}: {len(counts)} hourly counts, expected {HOURS_PER_DAY}")
    return list(counts)


def split_delivery_day(log: Path, counts: list[int], hour: int, out: Path) -> DaySplit:
    """`log` (one delivery day, in delivery order) as two folders under `out`: the lines delivered
    before `hour` and those delivered within it (the hours after it are left out). The file name
    is kept in both, so the day stays in each part's name and the ingest names each part's
    objects apart (its object names derive from the input file's name and bytes)."""
    if not 0 <= hour < HOURS_PER_DAY:
        raise ValueError(f"hour must be 0..23, got {hour}")
    lines = log.read_bytes().splitlines(keepends=True)
    if sum(counts) != len(lines):
        raise ValueError(f"{log.name}: {len(lines)} lines, but the manifest counts {sum(counts)}")
    first, last = sum(counts[:hour]), sum(counts[: hour + 1])
    parts = {"before": lines[:first], f"hour-{hour:02d}": lines[first:last]}
    folders = {}
    for name, part in parts.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / log.name.replace(".log", f"-{name}.log")).write_bytes(b"".join(part))
        folders[name] = folder
    return DaySplit(folders["before"], folders[f"hour-{hour:02d}"], hour, first, last - first)
