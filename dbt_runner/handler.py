"""Lambda entry point: a scheduled event in, `dbt build --target athena`, docs and artifacts out.

A failed build raises, so Lambda's Errors metric (the dbt-failures alarm) and the failure
destination see it; the artifacts are published first so the failure can be read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from dbt_runner.build import build, files_to_publish, prepare_project, run_id_for, use_thread_locks_if_needed
from dbt_runner.publish import publish
from dbt_runner.settings import Settings

logger = Logger(service="dbt")


class DbtBuildFailed(RuntimeError):
    """dbt build (or docs generate) did not succeed."""


@cache
def dependencies() -> tuple[Settings, Any]:
    """Settings and the S3 client, built once per container."""
    from dbt.mp_context import get_mp_context

    if use_thread_locks_if_needed(get_mp_context()):
        logger.info("no POSIX semaphores here: dbt uses thread locks")
    return Settings.from_env(), boto3.client("s3")


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings, s3 = dependencies()
    run_id = run_id_for(datetime.now(UTC))
    project = prepare_project(settings.project_dir, settings.profiles_path, settings.work_dir)
    logger.info("dbt build starting", extra={"run_id": run_id, "target": settings.target})
    outcome = build(project, settings.work_dir, settings.target, run_id)
    summary = outcome.summary()
    files = files_to_publish(project / "target", run_id, include_docs=outcome.success)
    keys = publish(s3, settings.docs_bucket, files, summary)
    logger.info("dbt build finished", extra={**summary, "published": keys})
    if not outcome.success:
        raise DbtBuildFailed(f"dbt run {run_id} failed: {summary['steps']} {summary['failures'][:5]}")
    return summary
