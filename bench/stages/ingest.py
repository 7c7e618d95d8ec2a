"""Ingest: parse + validate + land events per second on one core, beside gzip's own throughput
on the very same log bytes (the practical ceiling), and the ingest's peak resident memory.

Each measurement runs in its own child process (`python -m bench.stages.ingest run|gzip ...`)
so that the ingest's peak RSS is its own; inside the child the method is the ingest benchmark's
(`bench/ingest_bench.py`): pinned to one core, `run()` over every file timed in-process, the gzip
tool's compression (zlib, level 6) timed on the bytes read beforehand, and rates taken from the
process's CPU time (so other work on a shared machine skews them less); wall times are kept beside
them. The landing compresses with ISA-L instead; its own rate on the same bytes is reported as
information, never as the baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.ingest_bench import RAW_GLOB as RAW_GLOB  # bench.stages.dbt reads the lake by it
from bench.ingest_bench import pin_to_one_core, raw_bytes
from bench.measure import ChildRun, python_cmd, ratio, run_child
from bench.stages.data import Dataset
from bench.targets import TARGET_EVENTS_PER_SECOND, TARGET_GZIP_SHARE


def measure_run(logs: Path, lake: Path, now: datetime) -> dict[str, Any]:
    """In-process: one ingest run over every file of `logs` into `lake` (the child's body)."""
    from ingest_lambda.run import run
    from ingest_lambda.settings import Settings
    from ingest_lambda.sinks import LocalSink
    from ingest_lambda.sources import LocalFileSource

    pinned = pin_to_one_core()
    sink = LocalSink(lake)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = run(LocalFileSource(logs, sink, force=True), sink, Settings(lake_root=str(lake)), now)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"cpu_seconds": cpu, "wall_seconds": wall, "cpu": pinned, "summary": report.summary()}


def measure_gzip(logs: Path) -> dict[str, Any]:
    """In-process: the gzip tool's own compression (zlib, level 6) alone over the same files, file by
    file; and, for information, the landing's compressor (ISA-L) over the same bytes."""
    from bench.ingest_bench import REFERENCE_GZIP_LEVEL, reference_gzip, time_compression
    from ingest_lambda.landing import GZIP_LEVEL, gzip_bytes

    pinned = pin_to_one_core()
    cpu, wall, size_in, size_out, isal_cpu, isal_out = 0.0, 0.0, 0, 0, 0.0, 0
    # One file in memory at a time: the base logs are gigabytes.
    for path in sorted(logs.glob("*.log")):
        contents = [path.read_bytes()]
        size_in += len(contents[0])
        file_cpu, file_wall, file_out = time_compression(contents, reference_gzip)
        cpu, wall, size_out = cpu + file_cpu, wall + file_wall, size_out + file_out
        file_cpu, _, file_out = time_compression(contents, gzip_bytes)
        isal_cpu, isal_out = isal_cpu + file_cpu, isal_out + file_out
    return {
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "bytes_in": size_in,
        "bytes_out": size_out,
        "level": REFERENCE_GZIP_LEVEL,
        "landing_level": GZIP_LEVEL,
        "landing_cpu_seconds": isal_cpu,
        "landing_bytes_out": isal_out,
        "cpu": pinned,
    }


def _child(kind: str, *args: str) -> tuple[dict[str, Any], ChildRun]:
    child = run_child(python_cmd("-m", "bench.stages.ingest", kind, *args)).check()
    return json.loads(child.stdout), child


def land(logs: Path, lake: Path, now: datetime) -> tuple[dict[str, Any], ChildRun]:
    return _child("run", "--logs", str(logs), "--lake", str(lake), "--now", now.isoformat())


def run_stage(data: Dataset, lake: Path) -> dict[str, Any]:
    base_now = datetime(data.new_day.year, data.new_day.month, data.new_day.day, 0, 30, tzinfo=UTC)
    measured, child = land(data.base_logs, lake, base_now)
    summary = measured["summary"]
    gz, _ = _child("gzip", "--logs", str(data.base_logs))
    events = summary["landed"] + summary["quarantined"]
    eps = events / measured["cpu_seconds"]
    gzip_eps = events / gz["cpu_seconds"]
    ingest_date = base_now.date().isoformat()
    lake_bytes = raw_bytes(lake, ingest_date)
    return {
        "events": events,
        "landed": summary["landed"],
        "quarantined": summary["quarantined"],
        "lines": summary["read"],
        "log_bytes": gz["bytes_in"],
        "cpu_seconds": round(measured["cpu_seconds"], 3),
        "seconds": round(measured["wall_seconds"], 3),
        "process_seconds": round(child.seconds, 3),
        "events_per_second": round(eps),
        "events_per_second_wall": round(events / measured["wall_seconds"]),
        "lines_per_second": round(summary["read"] / measured["cpu_seconds"]),
        "fast_path_share": round(summary["fast_path"] / summary["landed"], 3) if summary["landed"] else None,
        "gzip_level": gz["level"],
        "gzip_cpu_seconds": round(gz["cpu_seconds"], 3),
        "gzip_seconds": round(gz["wall_seconds"], 3),
        "gzip_events_per_second": round(gzip_eps),
        "gzip_megabytes_per_second": round(gz["bytes_in"] / 1e6 / gz["cpu_seconds"], 1),
        "gzip_ratio": round(gz["bytes_in"] / gz["bytes_out"], 2),
        # The landing's own compressor (ISA-L) on the same log bytes: information, not the baseline.
        "landing_compression": f"isal level {gz['landing_level']}",
        "landing_compressor_events_per_second": round(events / gz["landing_cpu_seconds"]),
        "landing_compressor_megabytes_per_second": round(gz["bytes_in"] / 1e6 / gz["landing_cpu_seconds"], 1),
        "landing_compressor_ratio": round(gz["bytes_in"] / gz["landing_bytes_out"], 2),
        "share_of_gzip": round(ratio(eps, gzip_eps) or 0.0, 3),
        "target_events_per_second": TARGET_EVENTS_PER_SECOND,
        "target_share_of_gzip": round(TARGET_GZIP_SHARE, 3),
        "cpu": measured["cpu"],
        "max_rss_bytes": child.max_rss_bytes,
        "ingest_date": ingest_date,
        "raw_gzip_bytes": lake_bytes,
        "raw_gzip_bytes_per_event": round(lake_bytes / summary["landed"], 1) if summary["landed"] else None,
        "objects": summary["objects"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stages.ingest", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="kind", required=True)
    run_p = sub.add_parser("run", help="time one ingest run")
    run_p.add_argument("--logs", type=Path, required=True)
    run_p.add_argument("--lake", type=Path, required=True)
    run_p.add_argument("--now", type=datetime.fromisoformat, required=True)
    gz_p = sub.add_parser("gzip", help="time gzip alone over the same files")
    gz_p.add_argument("--logs", type=Path, required=True)
    args = parser.parse_args(argv)
    result = measure_run(args.logs, args.lake, args.now) if args.kind == "run" else measure_gzip(args.logs)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
