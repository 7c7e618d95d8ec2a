"""Per-route metrics: one CloudWatch Embedded Metric Format (EMF) record per request, on stdout.

In the Lambda, stdout goes to CloudWatch Logs, which turns each record into metrics in
`POWERTOOLS_METRICS_NAMESPACE` (default `RequestAnalytics`, the ingest's namespace) with the
dimensions `route` (the route's template, e.g. `/v1/sessions/{session_id}/requests`, never the
raw path, so the number of metric series stays fixed) and `service` (`POWERTOOLS_SERVICE_NAME`).
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

# The route dimension of a request that matched no route (a 404 or 405).
UNMATCHED = "(unmatched)"


class RouteMetrics:
    def __init__(self, namespace: str, service: str) -> None:
        self.namespace = namespace
        self.service = service

    def record(self, route: str, latency_ms: float, s3_reads: tuple[int, int] | None = None) -> None:
        """Print one request's record: its route, how long the API took to answer it, and (reading
        the marts on S3) the S3 requests it made and the bytes they returned."""
        # A metric set of its own per request (EphemeralMetrics), not Powertools' shared `Metrics`:
        # the local server answers several requests at once on threads, and each record must carry
        # only its own route. Printed at once, so nothing waits for the end of an invocation.
        metrics = EphemeralMetrics(namespace=self.namespace, service=self.service)
        metrics.add_dimension(name="route", value=route)
        metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=round(latency_ms, 3))
        if s3_reads is not None:
            metrics.add_metric(name="S3Requests", unit=MetricUnit.Count, value=s3_reads[0])
            metrics.add_metric(name="S3BytesRead", unit=MetricUnit.Bytes, value=s3_reads[1])
        metrics.flush_metrics()
