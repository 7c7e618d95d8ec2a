"""Measuring primitives shared by the stages: percentiles, timed child processes with their own
peak memory, and the machine/version facts a result needs to be read later."""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks.

    The same definition as numpy's default ("linear"): rank = q/100 * (n - 1).
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100, got {q}")
    rank = q / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Iterable[float]) -> float:
    return percentile(values, 50)


def ratio(figure: float, baseline: float) -> float | None:
    """figure / baseline, or None when the baseline is zero (nothing to compare against)."""
    return figure / baseline if baseline else None


def remove_database(path: Path) -> None:
    """Delete a DuckDB file and its write-ahead log, if there are any."""
    for file in (path, Path(f"{path}.wal")):
        file.unlink(missing_ok=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


@dataclass(frozen=True)
class ChildRun:
    """One finished child process: wall time, its own peak resident memory, and its output."""

    cmd: list[str]
    seconds: float
    # User + system CPU of the process: a second view of its cost when the machine is busy.
    cpu_seconds: float
    max_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> ChildRun:
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.cmd)} exited {self.returncode}\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"
            )
        return self


# A minimal launcher between this process and the measured one. Linux carries a process's peak
# RSS across fork and exec, so a child forked straight from this (large) process would report at
# least this process's size; forked from `python -S` it starts from a few MB. The launcher times
# fork-to-exit itself and writes "<ru_maxrss KiB> <seconds> <cpu seconds>" to the file in argv[1].
_LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {seconds} {usage.ru_utime + usage.ru_stime}")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_child(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> ChildRun:
    """Run `cmd` to completion through the launcher: wall time and the peak RSS of that very
    process (wait4 on it, so neither this process nor earlier children count)."""
    full_env = {**os.environ, **(env or {})}
    with tempfile.TemporaryDirectory(prefix="bench-child-") as tmp:
        out_path, err_path, usage_path = Path(tmp) / "stdout", Path(tmp) / "stderr", Path(tmp) / "usage"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.run(
                [sys.executable, "-S", "-c", _LAUNCHER, str(usage_path), *cmd],
                cwd=cwd,
                env=full_env,
                stdout=out,
                stderr=err,
                check=False,
            )
        max_rss_kib, seconds, cpu_seconds = usage_path.read_text().split()
        return ChildRun(
            cmd=list(cmd),
            seconds=float(seconds),
            cpu_seconds=float(cpu_seconds),
            # Linux reports ru_maxrss in KiB.
            max_rss_bytes=int(max_rss_kib) * 1024,
            returncode=proc.returncode,
            stdout=out_path.read_text(errors="replace"),
            stderr=err_path.read_text(errors="replace"),
        )


def python_cmd(*args: str) -> list[str]:
    return [sys.executable, *args]


def dbt_executable() -> str:
    return str(VENV_BIN / "dbt")


def version_of(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_bytes": memory_total_bytes(),
        "platform": platform.platform(),
        "load_average_at_start": load_average(),
    }


def versions() -> dict[str, str | None]:
    return {
        "python": platform.python_version(),
        "duckdb": version_of("duckdb"),
        "dbt-core": version_of("dbt-core"),
        "dbt-duckdb": version_of("dbt-duckdb"),
        "dbt-athena-community": version_of("dbt-athena-community"),
        "starlette": version_of("starlette"),
        "sqlglot": version_of("sqlglot"),
    }


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
