"""Ingest throughput benchmark (not a test): `python -m bench.ingest_bench [--events 1000000]`.

Generates app logs with the simulator, then on one core measures parse + validate + land (gzip
NDJSON into a local lake, the same code path as the Lambda) in events per second, beside the gzip
tool's own compression on the same log bytes (zlib at gzip's default level 6), which is the
practical ceiling the issue names. The landing compresses with ISA-L (`isal`) instead of zlib; the
rate of that compressor alone on the same bytes is printed too, as information only: the baseline
stays what `gzip` itself does. Rates use the process's CPU time, so other work on a shared machine
skews them less than wall time would; wall times are printed too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.targets import TARGET_EVENTS_PER_SECOND, TARGET_GZIP_SHARE
from ingest_lambda.landing import GZIP_LEVEL, gzip_bytes
from ingest_lambda.run import run
from ingest_lambda.settings import Settings
from ingest_lambda.simulate import Simulator
from ingest_lambda.sinks import LocalSink
from ingest_lambda.sources import LocalFileSource

# Requests per simulated session, measured on the simulator's output; sizes the run to --events.
REQUESTS_PER_SESSION = 4.4
REFERENCE_GZIP_LEVEL = 6  # gzip(1)'s default
RAW_GLOB = "raw/request_events/ingest_date=*/*.json.gz"


def reference_gzip(data: bytes) -> bytes:
    """What `gzip` does to the bytes by default: zlib's deflate at level 6 in a gzip container."""
    return gzip.compress(data, compresslevel=REFERENCE_GZIP_LEVEL, mtime=0)


def raw_bytes(lake: Path, ingest_date: str | None = None) -> int:
    """Bytes of the lake's raw objects (of one ingest date when given)."""
    pattern = (
        RAW_GLOB if ingest_date is None else RAW_GLOB.replace("ingest_date=*", f"ingest_date={ingest_date}")
    )
    return sum(p.stat().st_size for p in lake.glob(pattern))


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def time_compression(contents: list[bytes], compress: Callable[[bytes], bytes]) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, compressed bytes) of `compress` over every content in turn."""
    started, cpu_started = time.perf_counter(), time.process_time()
    size = sum(len(compress(c)) for c in contents)
    return time.process_time() - cpu_started, time.perf_counter() - started, size


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
        raw_size = raw_bytes(lake)

        # Compression alone over the very same bytes, read beforehand so only compression is timed.
        contents = [p.read_bytes() for p in files]
        gzip_s, gzip_wall, compressed = time_compression(contents, reference_gzip)
        isal_s, _, isal_compressed = time_compression(contents, gzip_bytes)

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
        "fast_path_share": round(summary["fast_path"] / summary["landed"], 3) if summary["landed"] else None,
        "gzip_level": REFERENCE_GZIP_LEVEL,
        "gzip_cpu_seconds": round(gzip_s, 2),
        "gzip_wall_seconds": round(gzip_wall, 2),
        "gzip_megabytes_per_second": round(log_bytes / 1e6 / gzip_s, 1),
        "gzip_events_per_second": round(gzip_eps),
        "gzip_ratio": round(log_bytes / compressed, 1),
        "ingest_share_of_gzip": round(share, 3),
        "landing_compression": f"isal level {GZIP_LEVEL}",
        "landing_compressor_events_per_second": round(events / isal_s),
        "landing_compressor_megabytes_per_second": round(log_bytes / 1e6 / isal_s, 1),
        "landing_compressor_ratio": round(log_bytes / isal_compressed, 1),
        "raw_megabytes": round(raw_size / 1e6, 1),
        "objects": summary["objects"],
        "cpu": pinned,
    }
    ok_eps = ingest_eps >= TARGET_EVENTS_PER_SECOND
    ok_share = share >= TARGET_GZIP_SHARE
    print(json.dumps(result, indent=2))
    print(
        f"parse+validate+land: {ingest_eps:,.0f} events/s (target >= {TARGET_EVENTS_PER_SECOND:,}: "
        f"{'met' if ok_eps else 'NOT met'})\n"
        f"gzip -{REFERENCE_GZIP_LEVEL} alone (zlib):  {gzip_eps:,.0f} events/s; ingest = {share:.2f} of gzip "
        f"(target >= {TARGET_GZIP_SHARE:.2f}: {'met' if ok_share else 'NOT met'})\n"
        f"isal level {GZIP_LEVEL} alone (the landing's compressor, information only): "
        f"{events / isal_s:,.0f} events/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
