"""Lambda entry point: a scheduled EventBridge event in, one checkpointed ingest run, a summary out."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from botocore.config import Config

from ingest_lambda.metrics import NAMESPACE, SERVICE, publish
from ingest_lambda.run import run
from ingest_lambda.settings import Settings, SettingsError
from ingest_lambda.sinks import S3Sink
from ingest_lambda.sources import CloudWatchSource

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


@cache
def dependencies() -> tuple[Settings, Any, Any]:
    """Settings and boto3 clients, built once per container and reused by every invocation."""
    settings = Settings.from_env()
    if not settings.lake_bucket:
        raise SettingsError("LAKE_BUCKET is required in AWS")
    if not settings.log_group_names:
        raise SettingsError("LOG_GROUP_NAMES is required in AWS (comma-separated log groups)")
    # The source retries with its own backoff and rate limit; botocore's retries would multiply them.
    logs = boto3.client("logs", config=Config(retries={"total_max_attempts": 1}))
    s3 = boto3.client("s3")
    return settings, logs, s3


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings, logs, s3 = dependencies()
    sink = S3Sink(s3, settings.lake_bucket or "")
    source = CloudWatchSource(
        logs, sink, settings, seconds_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    now = datetime.now(UTC)
    logger.info("ingest run starting", extra={"log_groups": list(settings.log_group_names)})

    def log_batch(result: Any) -> None:
        logger.info(
            "window landed",
            extra={
                "log_group": result.log_group,
                "window_start": str(result.window_start),
                "window_end": str(result.window_end),
                "read": result.read,
                "landed": result.landed,
                "skipped": result.skipped,
                "quarantined": result.quarantined,
                "objects": len(result.keys),
            },
        )

    report = run(source, sink, settings, now, on_batch=log_batch)
    lag = max(source.lag_seconds.values()) if source.lag_seconds else None
    publish(metrics, report, lag)
    summary = report.summary()
    summary["checkpoint_lag_seconds"] = lag
    if source.deferred:
        # Left for the next run: not caught up, though no window of theirs failed.
        summary["caught_up"] = False
        summary["deferred_log_groups"] = source.deferred
    summary["filter_calls"] = source.calls
    summary["filter_retries"] = source.retries
    logger.info("ingest run finished", extra=summary)
    return summary
