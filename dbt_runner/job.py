"""One run: take the run lock, prepare the project, build, publish artifacts (and docs when it passed).

The lock (`runs/lock.json` in the docs bucket, created only if absent) keeps two runs from
building the same marts at once: an hourly build that starts while a long backfill or the daily
tested build still runs skips itself. A lock older than the run timeout belongs to a run that
died (the runner stops itself at that age), and is taken over.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from dbt_runner.build import DbtInvoker, build, files_to_publish, invoke_dbt, prepare_project, run_id_for
from dbt_runner.publish import publish
from dbt_runner.settings import Settings
from serving import pointer

logger = Logger(service="dbt")

LOCK_KEY = "runs/lock.json"
FINISHED = "dbt build finished"  # the log line the task's outcome metrics count (terraform/dbt.tf)


class DbtBuildFailed(RuntimeError):
    """dbt build (or docs generate) did not succeed; the run's artifacts were published first."""


class RunInProgress(RuntimeError):
    """Another run holds the lock."""


def acquire_lock(s3: Any, bucket: str, run_id: str, now: datetime, stale_after: timedelta) -> None:
    body = json.dumps({"run_id": run_id, "started_at": now.isoformat()}).encode()
    try:
        s3.put_object(Bucket=bucket, Key=LOCK_KEY, Body=body, IfNoneMatch="*", ContentType="application/json")
        return
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in {"PreconditionFailed", "412"}:
            raise
    held = json.loads(s3.get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read())
    age = now - datetime.fromisoformat(held["started_at"])
    if age < stale_after:
        raise RunInProgress(f"run {held['run_id']} holds {LOCK_KEY} since {held['started_at']}")
    hours = age / timedelta(hours=1)
    logger.warning("taking over a stale run lock", extra={"held_by": held, "age_hours": hours})
    s3.put_object(Bucket=bucket, Key=LOCK_KEY, Body=body, ContentType="application/json")


def release_lock(s3: Any, bucket: str, run_id: str) -> None:
    """Delete the lock if this run still holds it (a stale-lock takeover may have replaced it)."""
    try:
        held = json.loads(s3.get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read())
    except ClientError:
        return
    if held.get("run_id") == run_id:
        s3.delete_object(Bucket=bucket, Key=LOCK_KEY)


def run_and_publish(
    settings: Settings,
    s3: Any,
    now: datetime,
    invoke: DbtInvoker = invoke_dbt,
    data_tests: bool | None = None,
    extra: tuple[str, ...] = (),
    glue: Any = None,
) -> dict[str, Any]:
    """Build and publish; returns the summary, or raises DbtBuildFailed / RunInProgress.

    A successful build also publishes the marts' committed versions for the API (`glue` reads
    them), under the lock, so two runs never publish out of order; a failed one publishes none.
    """
    run_id = run_id_for(now)
    data_tests = settings.data_tests if data_tests is None else data_tests
    acquire_lock(s3, settings.docs_bucket, run_id, now, timedelta(hours=settings.run_timeout_hours))
    try:
        project = prepare_project(settings.project_dir, settings.profiles_path, settings.work_dir)
        logger.info(
            "dbt build starting",
            extra={
                "run_id": run_id,
                "target": settings.target,
                "data_tests": data_tests,
                "flags": list(extra),
            },
        )
        outcome = build(project, settings.work_dir, settings.target, run_id, invoke, data_tests, extra)
        summary = outcome.summary()
        serve_error = None
        if outcome.success and settings.serves_marts:
            try:
                summary["served"] = publish_marts(settings, s3, glue, now, run_id)
            except (pointer.PointerError, ClientError) as error:
                # The build committed, but the API keeps serving the previous version: a failed run.
                serve_error = f"built, but the marts were not published for the API: {error}"
                summary |= {"success": False, "serve_error": serve_error}
        files = files_to_publish(project / "target", run_id, include_docs=outcome.success)
        summary["published"] = publish(s3, settings.docs_bucket, files, summary)
    finally:
        release_lock(s3, settings.docs_bucket, run_id)
    logger.info(FINISHED, extra=summary)
    if not outcome.success:
        raise DbtBuildFailed(f"dbt run {run_id} failed: {summary['steps']} {summary['failures'][:5]}")
    if serve_error is not None:
        raise DbtBuildFailed(f"dbt run {run_id}: {serve_error}")
    return summary


def publish_marts(settings: Settings, s3: Any, glue: Any, now: datetime, run_id: str) -> str:
    """Point the API at the versions this build committed (Glue's metadata_location of each table)."""
    if glue is None:
        raise ValueError("publishing the marts needs a Glue client")
    bucket, prefix = pointer.split_s3_url(settings.marts_data_dir.rstrip("/") + "/")
    tables = pointer.glue_locations(glue, settings.marts_database)
    published = pointer.publish(s3, bucket, prefix, tables, now, run_id)
    logger.info("marts published for the API", extra={"pointer": pointer.pointer_url(bucket, prefix)})
    return published.committed_at
