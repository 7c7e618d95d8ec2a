"""Lambda entry point for both ways events arrive, one code path below them:

- a CloudWatch Logs subscription delivery (`{"awslogs": {"data": ...}}`): the events CloudWatch
  just ingested, whatever their timestamp; the primary path (docs/adr/0004-ingest-source.md);
- a scheduled EventBridge event (anything else): the poller, FilterLogEvents from each log group's
  checkpoint, for backfill and replay, within the invocation's remaining time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from botocore.config import Config

from ingest_lambda.metrics import NAMESPACE, SERVICE, publish
from ingest_lambda.run import BatchResult, run
from ingest_lambda.settings import Settings, SettingsError
from ingest_lambda.sinks import S3Sink
from ingest_lambda.sources import CloudWatchSource, SubscriptionSource, decode_subscription

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def clock() -> datetime:
    """The invocation's time (a module function so that tests can fix it)."""
    return datetime.now(UTC)


@cache
def dependencies() -> tuple[Settings, Any, Any]:
    """Settings and boto3 clients, built once per container and reused by every invocation."""
    settings = Settings.from_env()
    if not settings.lake_bucket:
        raise SettingsError("LAKE_BUCKET is required in AWS")
    # The source retries with its own backoff and rate limit; botocore's retries would multiply them.
    logs = boto3.client("logs", config=Config(retries={"total_max_attempts": 1}))
    s3 = boto3.client("s3")
    return settings, logs, s3


def log_batch(result: BatchResult) -> None:
    logger.info(
        "batch landed",
        extra={
            "source": result.source,
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


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "awslogs" in event:
        return deliver(event)
    return poll(context)


def deliver(event: dict[str, Any]) -> dict[str, Any]:
    """Land one subscription delivery (a malformed one raises: Lambda retries it, then queues it)."""
    settings, _, s3 = dependencies()
    payload = decode_subscription(event)
    sink = S3Sink(s3, settings.lake_bucket or "")
    source = SubscriptionSource(payload)
    if source.control:
        logger.info("subscription control message", extra={"messageType": payload.get("messageType")})
        return {"source": "subscription", "control_message": True}
    report = run(source, sink, settings, clock(), on_batch=log_batch)
    publish(metrics, report, None, ingest_lag_seconds=source.lag.max_seconds)
    summary = report.summary()
    summary.pop("checkpoint_lag_seconds")
    summary["source"] = "subscription"
    summary["log_group"] = payload.get("logGroup")
    summary["ingest_lag_seconds"] = source.lag.max_seconds
    logger.info("subscription delivery landed", extra=summary)
    return summary


def poll(context: Any) -> dict[str, Any]:
    """One checkpointed poller run over every configured log group, within the time left."""
    settings, logs, s3 = dependencies()
    if not settings.log_group_names:
        raise SettingsError("LOG_GROUP_NAMES is required in AWS (comma-separated log groups)")
    sink = S3Sink(s3, settings.lake_bucket or "")
    source = CloudWatchSource(
        logs, sink, settings, seconds_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    now = clock()
    logger.info("ingest run starting", extra={"log_groups": list(settings.log_group_names)})
    report = run(source, sink, settings, now, on_batch=log_batch)
    lag = max(source.lag_seconds.values()) if source.lag_seconds else None
    publish(
        metrics,
        report,
        lag,
        ingest_lag_seconds=source.lag.max_seconds,
        window_replays=source.max_replays,
        windows_split=source.segments_cut,
    )
    summary = report.summary()
    summary["source"] = "cloudwatch"
    summary["checkpoint_lag_seconds"] = lag
    if source.deferred:
        # Left for the next run: not caught up, though no window of theirs failed.
        summary["caught_up"] = False
        summary["deferred_log_groups"] = source.deferred
    summary["filter_calls"] = source.calls
    summary["filter_retries"] = source.retries
    summary["windows_split"] = source.segments_cut
    summary["window_replays"] = source.max_replays
    summary["page_tokens_expired"] = source.tokens_expired
    summary["ingest_lag_seconds"] = source.lag.max_seconds
    logger.info("ingest run finished", extra=summary)
    return summary
