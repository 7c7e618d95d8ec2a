"""The targets of the ingest, dbt and API issues, checked against one run's figures.

Pure functions over the result dictionary the stages produce, so the check logic is tested on
its own. A target whose figure is missing (stage skipped or failed) is reported as not measured
and counts as falling short: a run cannot show that it was met.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

# Issue 2: ingest on one core, and its share of gzip's throughput on the same bytes.
TARGET_EVENTS_PER_SECOND = 100_000
TARGET_GZIP_SHARE = 1 / 3
# Retired as targets (issue 13): the local DuckDB ratios, reported as information beside their floors.
DBT_FULL_MAX_RATIO = 3.0
INCREMENTAL_MAX_RATIO = 1.5
# Issue 13: Athena bytes scanned by one hourly incremental run at 10M events a day, at most this
# many times the bytes of the new raw data plus the mart partitions the run rewrites.
HOURLY_SCAN_MAX_RATIO = 3.0
API_P99_MAX_OVER_FLOOR_MS = 50.0
# Issue 14: the API reading the published marts on S3 through the Lambda handler (the serve stage).
SERVE_MAX_S3_REQUESTS = 8
SERVE_MAX_BYTES = 5_000_000
SERVE_WARM_P95_MAX_MS = 150.0
SERVE_COLD_START_MAX_MS = 1500.0
# Athena bills at least 10 MB per query; taken as 10^7 bytes, the stricter reading of "MB".
ATHENA_MIN_BILLED_BYTES = 10_000_000
ATHENA_EVENTS_PER_DAY = 10_000_000
TYPICAL_ROUTE = "GET /v1/metrics/sessions"

_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Check:
    target: str
    figure: float | None
    comparison: str
    limit: float
    unit: str
    met: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        shown = "not measured" if self.figure is None else f"{_fmt(self.figure)} {self.unit}"
        text = f"[{'met' if self.met else 'NOT MET'}] {self.target}: {shown}"
        text += f" (target {self.comparison} {_fmt(self.limit)} {self.unit})"
        return f"{text} - {self.detail}" if self.detail else text


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"


def compare(figure: float | None, comparison: str, limit: float) -> bool:
    """Whether `figure <comparison> limit` holds; a missing figure never meets a target."""
    if figure is None:
        return False
    return _COMPARISONS[comparison](figure, limit)


def dig(results: Mapping[str, Any], *path: str) -> Any:
    """results[path[0]][path[1]]..., or None when any step is missing."""
    node: Any = results
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _check(target: str, figure: Any, comparison: str, limit: float, unit: str, detail: str = "") -> Check:
    value = float(figure) if isinstance(figure, int | float) and not isinstance(figure, bool) else None
    return Check(target, value, comparison, limit, unit, compare(value, comparison, limit), detail)


def evaluate(stages: Mapping[str, Any]) -> list[Check]:
    """Every live target of issues 2, 3, 4 and 13 against the stages' figures, in table order.

    The two local DuckDB ratios (full build / raw scan, increment / new day's scan) are no longer
    targets (issue 13): local speed is not what users pay for. The table still shows them."""
    checks = [
        _check(
            "ingest events per second (one core)",
            dig(stages, "ingest", "events_per_second"),
            ">=",
            TARGET_EVENTS_PER_SECOND,
            "events/s",
        ),
        _check(
            "ingest share of gzip's throughput",
            dig(stages, "ingest", "share_of_gzip"),
            ">=",
            round(TARGET_GZIP_SHARE, 3),
            "x",
        ),
        _check(
            "Athena bytes of one hourly incremental run at 10M events/day / (new raw data + mart "
            "partitions it rewrites), on the twin",
            dig(stages, "twin", "hourly_increment_bytes", "at_10m_events_per_day", "ratio"),
            "<=",
            HOURLY_SCAN_MAX_RATIO,
            "x",
        ),
    ]
    routes = dig(stages, "api", "routes") or {}
    floor_p99 = dig(stages, "api", "floor", "p99_ms")
    if not routes:
        checks.append(_check("API p99 over the floor", None, "<=", API_P99_MAX_OVER_FLOOR_MS, "ms"))
    for route, figures in routes.items():
        over = figures["p99_ms"] - floor_p99 if floor_p99 is not None else None
        errors = figures.get("errors", 0)
        checks.append(
            _check(
                f"API {route} p99 over the floor",
                over,
                "<=",
                API_P99_MAX_OVER_FLOOR_MS,
                "ms",
                f"{errors} non-200 answers" if errors else "",
            )
        )
        if errors:
            checks.append(_check(f"API {route} answers 200", errors, "==", 0, "errors"))
    heavy = dig(stages, "lambda_init", "api_heavy_modules")
    checks.append(
        _check(
            "pandas/pyarrow modules loaded by the API handler",
            len(heavy) if isinstance(heavy, list) else None,
            "==",
            0,
            "modules",
            ", ".join(heavy) if heavy else "",
        )
    )
    checks.append(
        _check(
            f"Athena bytes of a typical query ({TYPICAL_ROUTE}, 90 days, one client) at 10M events/day",
            dig(stages, "athena", "routes", TYPICAL_ROUTE, "bytes_90d_at_10m_events_per_day"),
            "<=",
            ATHENA_MIN_BILLED_BYTES,
            "bytes",
        )
    )
    checks.extend(serve_checks(stages))
    return checks


def serve_checks(stages: Mapping[str, Any]) -> list[Check]:
    """Issue 14: the typical call's S3 requests and bytes, warm p95 per route, cold start, load."""
    typical = "typical call (90-day daily series, one client)"
    at_scale = ("serve", "typical_call", "at_10m_events_per_day")
    checks = [
        _check(
            f"serving: S3 requests of a {typical}, warm container",
            dig(stages, "serve", "typical_call", "warm", "s3_requests"),
            "<=",
            SERVE_MAX_S3_REQUESTS,
            "requests",
        ),
        _check(
            f"serving: S3 requests of a {typical} at 10M events/day, new container or new version",
            dig(stages, *at_scale, "cold_s3_requests"),
            "<=",
            SERVE_MAX_S3_REQUESTS,
            "requests",
        ),
        _check(
            f"serving: bytes of a {typical} at 10M events/day, new container or new version",
            dig(stages, *at_scale, "cold_bytes"),
            "<=",
            SERVE_MAX_BYTES,
            "bytes",
        ),
        _check(
            "serving: cold start (init + the first typical call)",
            dig(stages, "serve", "cold_start", "total_ms"),
            "<=",
            SERVE_COLD_START_MAX_MS,
            "ms",
        ),
        _check(
            "serving: 50 simulated users at once, errors",
            dig(stages, "serve", "load", "errors"),
            "==",
            0,
            "errors",
            f"p95 {dig(stages, 'serve', 'load', 'p95_ms')} ms",
        ),
    ]
    routes = dig(stages, "serve", "routes") or {}
    if not routes:
        checks.append(
            _check("serving: warm p95 through the handler", None, "<=", SERVE_WARM_P95_MAX_MS, "ms")
        )
    for route, figures in routes.items():
        checks.append(
            _check(
                f"serving: warm p95 of {route} through the handler",
                figures.get("p95_ms"),
                "<=",
                SERVE_WARM_P95_MAX_MS,
                "ms",
                f"{figures['errors']} non-200 answers" if figures.get("errors") else "",
            )
        )
    return checks


def shortfalls(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.met]
