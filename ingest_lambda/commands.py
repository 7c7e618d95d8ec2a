"""The command lines of the ingest part's two CLIs, for callers that run them as subprocesses
(the shared test fixtures, the API server test, cost/measure_local.py), as `make demo` does."""

from __future__ import annotations

import sys
from pathlib import Path


def simulate_command(out: Path, *args: str) -> list[str]:
    """`python -m ingest_lambda.simulate` writing its logs and manifest into `out`."""
    return [sys.executable, "-m", "ingest_lambda.simulate", "--out", str(out), *args]


def ingest_command(logs: Path, now: str, *args: str) -> list[str]:
    """`python -m ingest_lambda` landing the log files of `logs` with its clock at `now` (ISO-8601)."""
    return [sys.executable, "-m", "ingest_lambda", "--from-dir", str(logs), "--now", now, *args]
