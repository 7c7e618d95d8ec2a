"""Data generation: the simulator writes 30 base days plus day 31 (the incremental stage's new day)
in one deterministic run; day 31's file is moved aside so it can land later, on its own."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.ingest_bench import REQUESTS_PER_SESSION
from bench.measure import run_child
from ingest_lambda.commands import simulate_command

BASE_DAYS = 30
# The base month ends where the other suites' data ends; day 31 is the day after.
NEW_DAY = date(2026, 11, 21)


@dataclass(frozen=True)
class Dataset:
    base_logs: Path
    new_day_logs: Path
    manifest: dict[str, Any]
    new_day: date

    @property
    def base_end(self) -> date:
        return self.new_day - timedelta(days=1)


def sessions_for(events: int, days: int) -> int:
    """Sessions to simulate so that `days` days hold about `events` events (per 30 base days)."""
    return max(1, round(events * days / BASE_DAYS / REQUESTS_PER_SESSION))


def existing(workdir: Path) -> Dataset:
    """The data set an earlier run left in `workdir` (for re-running later stages with --stages)."""
    manifest_path = workdir / "sim" / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"no simulated data in {workdir}: run the data stage first")
    manifest = json.loads(manifest_path.read_text())
    return Dataset(workdir / "logs-base", workdir / "logs-new-day", manifest, NEW_DAY)


def generate(workdir: Path, events: int, seed: int, clients: int) -> tuple[Dataset, dict[str, Any]]:
    sim_dir, base, new = workdir / "sim", workdir / "logs-base", workdir / "logs-new-day"
    for d in (sim_dir, base, new):
        shutil.rmtree(d, ignore_errors=True)
    days = BASE_DAYS + 1
    sessions = sessions_for(events, days)
    child = run_child(
        simulate_command(
            sim_dir,
            *("--seed", str(seed), "--days", str(days), "--sessions", str(sessions)),
            *("--clients", str(clients), "--end-date", NEW_DAY.isoformat(), "--quiet"),
        )
    ).check()
    manifest = json.loads((sim_dir / "manifest.json").read_text())
    base.mkdir(parents=True)
    new.mkdir(parents=True)
    for path in sorted(sim_dir.glob("*.log")):
        target = new if NEW_DAY.isoformat() in path.name else base
        path.rename(target / path.name)
    base_bytes = sum(p.stat().st_size for p in base.glob("*.log"))
    new_bytes = sum(p.stat().st_size for p in new.glob("*.log"))
    figures = {
        "events_requested": events,
        "seed": seed,
        "clients": clients,
        "days_simulated": days,
        "sessions": manifest["sessions"],
        "valid_request_ids": manifest["valid_request_ids"],
        "valid_lines": manifest["valid_lines"],
        "total_lines": manifest["total_lines"],
        "base_log_bytes": base_bytes,
        "new_day_log_bytes": new_bytes,
        "seconds": round(child.seconds, 2),
        "events_per_second": round(manifest["valid_lines"] / child.seconds),
        "max_rss_bytes": child.max_rss_bytes,
    }
    return Dataset(base, new, manifest, NEW_DAY), figures
