"""CloudWatch metrics (EMF through Powertools) for one run."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ingest_lambda.run import RunReport

NAMESPACE = "RequestAnalytics"
SERVICE = "ingest"


def publish(
    metrics: Metrics,
    report: RunReport,
    lag_seconds: float | None,
    *,
    ingest_lag_seconds: float | None = None,
    window_replays: int | None = None,
    windows_split: int | None = None,
) -> None:
    """Add the run's figures; the handler's `log_metrics` decorator flushes them as one EMF blob.

    `ingest_lag_seconds` is the largest `ingestionTime - timestamp` among the events read (for a
    subscription delivery, the invocation's time stands for ingestionTime); `window_replays` the
    most times one checkpointed position was started again without having landed; `windows_split`
    the windows this run split because they could not finish in the time left.
    """
    metrics.add_metric(name="EventsRead", unit=MetricUnit.Count, value=report.total("read"))
    metrics.add_metric(name="EventsLanded", unit=MetricUnit.Count, value=report.total("landed"))
    metrics.add_metric(name="LinesSkipped", unit=MetricUnit.Count, value=report.total("skipped"))
    metrics.add_metric(name="EventsQuarantined", unit=MetricUnit.Count, value=report.total("quarantined"))
    metrics.add_metric(name="RunDurationMs", unit=MetricUnit.Milliseconds, value=report.duration_ms)
    if lag_seconds is not None:
        metrics.add_metric(name="CheckpointLagSeconds", unit=MetricUnit.Seconds, value=lag_seconds)
    if ingest_lag_seconds is not None:
        metrics.add_metric(name="IngestLagSeconds", unit=MetricUnit.Seconds, value=ingest_lag_seconds)
    if window_replays is not None:
        metrics.add_metric(name="WindowReplays", unit=MetricUnit.Count, value=window_replays)
    if windows_split is not None:
        metrics.add_metric(name="WindowsSplit", unit=MetricUnit.Count, value=windows_split)
