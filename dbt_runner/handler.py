"""Lambda entry point: a scheduled event in, `dbt build --target athena`, docs and artifacts out.

A failed build raises (after publishing its artifacts), so Lambda's Errors metric (the
dbt-failures alarm) and the failure destination see it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3

from dbt_runner.build import use_thread_locks_if_needed
from dbt_runner.job import logger, run_and_publish
from dbt_runner.settings import Settings


@cache
def dependencies() -> tuple[Settings, Any]:
    """Settings and the S3 client, built once per container."""
    from dbt.mp_context import get_mp_context

    if use_thread_locks_if_needed(get_mp_context()):
        logger.info("no POSIX semaphores here: dbt uses thread locks")
    return Settings.from_env(), boto3.client("s3")


def wants_data_tests(event: Any) -> bool:
    """The schedule's input: `{"data_tests": false}` for the hourly build, true (default) daily."""
    value = event.get("data_tests", True) if isinstance(event, dict) else True
    if not isinstance(value, bool):
        raise ValueError(f"data_tests must be true or false, got {value!r}")
    return value


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings, s3 = dependencies()
    return run_and_publish(settings, s3, datetime.now(UTC), data_tests=wants_data_tests(event))
