"""Ingest throughput benchmark (not a test): `python -m bench.ingest_bench [--events 1000000]`.

Generates app logs with the simulator, then on one core measures parse + validate + land (gzip
NDJSON into a local lake, the same code path as the Lambda) in events per second, beside gzip's own
compression throughput on the same log bytes at the same level, which is the practical ceiling.
Rates use the process's CPU time, so other work on a shared machine skews them less than wall time
would; wall times are printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest_lambda.landing import GZIP_LEVEL, gzip_bytes
from ingest_lambda.run import run
from ingest_lambda.settings import Settings
from ingest_lambda.simulate import Simulator
from ingest_lambda.sinks import LocalSink
from ingest_lambda.sources import LocalFileSource

TARGET_EVENTS_PER_SECOND = 100_000
TARGET_GZIP_SHARE = 1 / 3
# Requests per simulated session, measured on the simulator's output; sizes the run to --events.
REQUESTS_PER_SESSION = 4.4


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="analytics events to simulate")
    parser.add_argument("--days", type=int, default=30, help="delivery days (files) to spread them over")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep logs and lake here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.events < 1000:
        parser.error("--events must be >= 1000")

    pinned = pin_to_one_core()
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = args.workdir or Path(tmp)
        logs, lake = work / "logs", work / "lake"
        end_date = datetime(2026, 11, 20, tzinfo=UTC).date()
        sessions = int(args.events / REQUESTS_PER_SESSION)
        print(
            f"bench: simulating ~{args.events} events ({sessions} sessions, {args.days} days)",
            file=sys.stderr,
        )
        started = time.perf_counter()
        manifest = Simulator(args.seed, args.days, sessions, 3, end_date).run(logs, progress=False)
        simulate_s = time.perf_counter() - started

        files = sorted(logs.glob("*.log"))
        log_bytes = sum(p.stat().st_size for p in files)
        settings = Settings(lake_root=str(lake))
        now = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
        sink = LocalSink(lake)
        print(f"bench: ingesting {manifest['total_lines']} lines ({log_bytes / 1e6:.0f} MB)", file=sys.stderr)
        started, cpu_started = time.perf_counter(), time.process_time()
        report = run(LocalFileSource(logs, sink, force=True), sink, settings, now)
        ingest_wall = time.perf_counter() - started
        ingest_s = time.process_time() - cpu_started
        summary = report.summary()

        # gzip alone over the very same bytes, read beforehand so only compression is timed.
        contents = [p.read_bytes() for p in files]
        started, cpu_started = time.perf_counter(), time.process_time()
        compressed = sum(len(gzip_bytes(c, GZIP_LEVEL)) for c in contents)
        gzip_wall = time.perf_counter() - started
        gzip_s = time.process_time() - cpu_started

    events = summary["landed"] + summary["quarantined"]
    ingest_eps = events / ingest_s
    gzip_eps = events / gzip_s
    share = ingest_eps / gzip_eps
    result = {
        "events": events,
        "lines": summary["read"],
        "log_megabytes": round(log_bytes / 1e6, 1),
        "simulate_seconds": round(simulate_s, 1),
        "ingest_cpu_seconds": round(ingest_s, 2),
        "ingest_wall_seconds": round(ingest_wall, 2),
        "ingest_events_per_second": round(ingest_eps),
        "ingest_lines_per_second": round(summary["read"] / ingest_s),
        "gzip_level": GZIP_LEVEL,
        "gzip_cpu_seconds": round(gzip_s, 2),
        "gzip_wall_seconds": round(gzip_wall, 2),
        "gzip_megabytes_per_second": round(log_bytes / 1e6 / gzip_s, 1),
        "gzip_events_per_second": round(gzip_eps),
        "gzip_ratio": round(log_bytes / compressed, 1),
        "ingest_share_of_gzip": round(share, 3),
        "objects": summary["objects"],
        "cpu": pinned,
    }
    ok_eps = ingest_eps >= TARGET_EVENTS_PER_SECOND
    ok_share = share >= TARGET_GZIP_SHARE
    print(json.dumps(result, indent=2))
    print(
        f"parse+validate+land: {ingest_eps:,.0f} events/s (target >= {TARGET_EVENTS_PER_SECOND:,}: "
        f"{'met' if ok_eps else 'NOT met'})\n"
        f"gzip -{GZIP_LEVEL} alone:        {gzip_eps:,.0f} events/s; ingest = {share:.2f} of gzip "
        f"(target >= {TARGET_GZIP_SHARE:.2f}: {'met' if ok_share else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
