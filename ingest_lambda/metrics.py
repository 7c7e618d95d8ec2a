"""CloudWatch metrics (EMF through Powertools) for one run."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from ingest_lambda.run import RunReport

NAMESPACE = "RequestAnalytics"
SERVICE = "ingest"


def publish(metrics: Metrics, report: RunReport, lag_seconds: float | None) -> None:
    """Add the run's figures; the handler's `log_metrics` decorator flushes them as one EMF blob."""
    metrics.add_metric(name="EventsRead", unit=MetricUnit.Count, value=report.total("read"))
    metrics.add_metric(name="EventsLanded", unit=MetricUnit.Count, value=report.total("landed"))
    metrics.add_metric(name="LinesSkipped", unit=MetricUnit.Count, value=report.total("skipped"))
    metrics.add_metric(name="EventsQuarantined", unit=MetricUnit.Count, value=report.total("quarantined"))
    metrics.add_metric(name="RunDurationMs", unit=MetricUnit.Milliseconds, value=report.duration_ms)
    if lag_seconds is not None:
        metrics.add_metric(name="CheckpointLagSeconds", unit=MetricUnit.Seconds, value=lag_seconds)
