"""The dbt task's entry point: `python -m dbt_runner [--full-refresh] [--select ...] [--vars ...]`.

Settings come from the environment (settings.py); arguments are for manual runs (a backfill, a
repair after a failed run: docs/runbook.md). Exit status: 0 when the build passed or another run
holds the lock (this one then skips), 1 when dbt failed or the run hit its timeout, 2 for bad
settings or arguments.
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from types import FrameType

import boto3

from dbt_runner.job import FINISHED, DbtBuildFailed, RunInProgress, logger, run_and_publish
from dbt_runner.locks import use_thread_locks_if_needed
from dbt_runner.settings import Settings, SettingsError


class RunTimedOut(BaseException):
    """The run passed DBT_RUN_TIMEOUT_HOURS (a BaseException, so dbt's own handlers let it through)."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dbt_runner", description=__doc__.split("\n\n")[0])
    tests = parser.add_mutually_exclusive_group()
    tests.add_argument("--data-tests", dest="data_tests", action="store_true", default=None)
    tests.add_argument("--no-data-tests", dest="data_tests", action="store_false")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    parser.add_argument("--select", nargs="+", default=[], help="dbt node selection, e.g. fct_sessions+")
    parser.add_argument("--vars", help="dbt vars as YAML, e.g. '{backfill_from: 2026-01-01}'")
    return parser.parse_args(argv)


def dbt_flags(args: argparse.Namespace) -> tuple[str, ...]:
    flags: list[str] = []
    if args.full_refresh:
        flags.append("--full-refresh")
    if args.select:
        flags += ["--select", *args.select]
    if args.vars:
        flags += ["--vars", args.vars]
    return tuple(flags)


def _time_out(_signum: int, _frame: FrameType | None) -> None:
    raise RunTimedOut


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        settings = Settings.from_env()
    except SettingsError as error:
        logger.error("bad settings", extra={"error": str(error)})
        return 2
    if use_thread_locks_if_needed():
        logger.info("no POSIX semaphores here: dbt uses thread locks")
    signal.signal(signal.SIGALRM, _time_out)
    signal.alarm(int(settings.run_timeout_hours * 3600))
    now = datetime.now(UTC)
    try:
        glue = boto3.client("glue") if settings.serves_marts else None
        run_and_publish(
            settings, boto3.client("s3"), now, data_tests=args.data_tests, extra=dbt_flags(args), glue=glue
        )
    except RunInProgress as busy:
        logger.info("dbt build skipped: another run holds the lock", extra={"reason": str(busy)})
        return 0
    except DbtBuildFailed as failed:
        logger.error("dbt build failed", extra={"error": str(failed)})
        return 1
    except RunTimedOut:
        timeout = f"timed out after {settings.run_timeout_hours} h"
        logger.error(FINISHED, extra={"success": False, "error": timeout})
        return 1
    finally:
        signal.alarm(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
