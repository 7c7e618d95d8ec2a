"""One scheduled run: prepare the project, build, publish artifacts (and docs when it passed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from dbt_runner.build import DbtInvoker, build, files_to_publish, invoke_dbt, prepare_project, run_id_for
from dbt_runner.publish import publish
from dbt_runner.settings import Settings

logger = Logger(service="dbt")


class DbtBuildFailed(RuntimeError):
    """dbt build (or docs generate) did not succeed; the run's artifacts were published first."""


def run_and_publish(
    settings: Settings, s3: Any, now: datetime, invoke: DbtInvoker = invoke_dbt, data_tests: bool = True
) -> dict[str, Any]:
    run_id = run_id_for(now)
    project = prepare_project(settings.project_dir, settings.profiles_path, settings.work_dir)
    logger.info(
        "dbt build starting", extra={"run_id": run_id, "target": settings.target, "data_tests": data_tests}
    )
    outcome = build(project, settings.work_dir, settings.target, run_id, invoke, data_tests)
    summary = outcome.summary()
    files = files_to_publish(project / "target", run_id, include_docs=outcome.success)
    summary["published"] = publish(s3, settings.docs_bucket, files, summary)
    logger.info("dbt build finished", extra=summary)
    if not outcome.success:
        raise DbtBuildFailed(f"dbt run {run_id} failed: {summary['steps']} {summary['failures'][:5]}")
    return summary
