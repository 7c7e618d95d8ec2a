"""The one query layer: each route's SQL, written once with `?` parameters, run by any backend.

SQL text is built only from constants in this module (column names, fragments chosen by the
scope's level); every value a client sent travels as a parameter. Dates go in as 'YYYY-MM-DD'
strings and timestamps as 'YYYY-MM-DD HH:MM:SS' strings, cast in SQL, because Athena's
ExecutionParameters are literals and both engines accept `CAST(? AS DATE|TIMESTAMP)`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from api_lambda.backends import Backend, Param, Row
from api_lambda.periods import DateRange, dense_series, format_instant, format_period
from api_lambda.scope import ID_KEYS, LEVELS, Level, Scope


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _day(day: date) -> str:
    return day.isoformat()


def _scope_filter(scope: Scope) -> tuple[str, list[Param]]:
    """`client_id = ? AND ...` for the ids the scope sets (the full path, never a bare child id)."""
    ids = scope.ids()
    clauses = [f"{key} = ?" for key in ids]
    return (" AND ".join(clauses) if clauses else "TRUE"), list(ids.values())


def _ratio(requests: int, sessions: int) -> float:
    return round(requests / sessions, 4) if sessions else 0.0


def _money(value: Decimal | float | None) -> float:
    return round(float(value or 0), 4)


def _counted(date_range: DateRange, scope: Scope) -> dict[str, Any]:
    """What an answer counted: the widened range and the scope."""
    return {"from": _day(date_range.start), "to": _day(date_range.end), "scope": scope.as_dict()}


SERIES_SQL = """
SELECT period_start, sessions, requests
FROM {marts}.agg_session_metrics
WHERE grain = ? AND level = ? AND %(scope)s
  AND period_start >= CAST(? AS TIMESTAMP) AND period_start < CAST(? AS TIMESTAMP)
ORDER BY period_start
"""


def session_series(backend: Backend, scope: Scope, date_range: DateRange) -> dict[str, Any]:
    scope_sql, scope_params = _scope_filter(scope)
    rows = backend.query(
        SERIES_SQL % {"scope": scope_sql},
        [
            date_range.grain,
            scope.level,
            *scope_params,
            _ts(date_range.start_ts),
            _ts(date_range.end_exclusive_ts),
        ],
    )
    points = dense_series(
        date_range, ((row["period_start"], int(row["sessions"]), int(row["requests"])) for row in rows)
    )
    return {
        "grain": date_range.grain,
        **_counted(date_range, scope),
        "series": [
            {
                "period_start": format_period(start),
                "sessions": sessions,
                "requests": requests,
                "requests_per_session": _ratio(requests, sessions),
            }
            for start, sessions, requests in points
        ],
    }


BREAKDOWN_SQL = """
SELECT %(columns)s, COUNT(DISTINCT session_id) AS sessions, SUM(requests) AS requests
FROM {marts}.fct_session_days
WHERE %(scope)s AND event_date >= CAST(? AS DATE) AND event_date <= CAST(? AS DATE)
GROUP BY %(columns)s
ORDER BY sessions DESC, %(columns)s
"""


def session_breakdown(backend: Backend, scope: Scope, date_range: DateRange, by: Level) -> dict[str, Any]:
    columns = list(ID_KEYS[: LEVELS.index(by)])
    scope_sql, scope_params = _scope_filter(scope)
    rows = backend.query(
        BREAKDOWN_SQL % {"columns": ", ".join(columns), "scope": scope_sql},
        [*scope_params, _day(date_range.start), _day(date_range.end)],
    )
    return {
        "by": by,
        **_counted(date_range, scope),
        "rows": [
            {
                **{column: row[column] for column in columns},
                "sessions": int(row["sessions"]),
                "requests": int(row["requests"]),
                "requests_per_session": _ratio(int(row["requests"]), int(row["sessions"])),
            }
            for row in rows
        ],
    }


PRODUCTS_SQL = """
SELECT product_id, MAX(product_name) AS name, MAX(category) AS category, currency,
       SUM(requests) AS requests, COUNT(DISTINCT session_id) AS sessions,
       SUM(quantity) AS quantity, SUM(revenue) AS revenue
FROM {marts}.fct_product_session_days
WHERE %(scope)s AND event_date >= CAST(? AS DATE) AND event_date <= CAST(? AS DATE)
GROUP BY product_id, currency
ORDER BY requests DESC, product_id, currency
LIMIT ?
"""


def products(backend: Backend, scope: Scope, date_range: DateRange, limit: int) -> dict[str, Any]:
    scope_sql, scope_params = _scope_filter(scope)
    rows = backend.query(
        PRODUCTS_SQL % {"scope": scope_sql},
        [*scope_params, _day(date_range.start), _day(date_range.end), limit],
    )
    return {
        **_counted(date_range, scope),
        "products": [
            {
                "product_id": row["product_id"],
                "name": row["name"],
                "category": row["category"],
                "currency": row["currency"],
                "requests": int(row["requests"]),
                "sessions": int(row["sessions"]),
                "quantity": int(row["quantity"] or 0),
                "revenue": _money(row["revenue"]),
            }
            for row in rows
        ],
    }


SESSIONS_SQL = """
SELECT session_id, client_id, reseller_id, user_id, started_at, ended_at, requests
FROM {marts}.fct_sessions
WHERE %(scope)s%(range)s%(after)s
ORDER BY started_at DESC, session_id DESC
LIMIT ?
"""
_OVERLAPS_FROM = " AND ended_at >= CAST(? AS TIMESTAMP)"
_OVERLAPS_TO = " AND started_at < CAST(? AS TIMESTAMP)"
_AFTER_CURSOR = (
    " AND (started_at < CAST(? AS TIMESTAMP) OR (started_at = CAST(? AS TIMESTAMP) AND session_id < ?))"
)


def sessions_page(
    backend: Backend,
    scope: Scope,
    start: date | None,
    end: date | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> tuple[list[dict[str, Any]], tuple[datetime, str] | None]:
    """Sessions overlapping [start, end] newest first, and the keyset position of the next page."""
    scope_sql, params = _scope_filter(scope)
    range_sql = ""
    if start is not None:
        range_sql += _OVERLAPS_FROM
        params.append(_ts(datetime(start.year, start.month, start.day)))
    if end is not None:
        range_sql += _OVERLAPS_TO
        params.append(_ts(datetime(end.year, end.month, end.day) + timedelta(days=1)))
    after_sql = ""
    if after is not None:
        after_sql = _AFTER_CURSOR
        params += [_ts(after[0]), _ts(after[0]), after[1]]
    # One row more than asked tells whether another page exists without a count query.
    rows = backend.query(
        SESSIONS_SQL % {"scope": scope_sql, "range": range_sql, "after": after_sql}, [*params, limit + 1]
    )
    page = rows[:limit]
    next_position = (page[-1]["started_at"], page[-1]["session_id"]) if len(rows) > limit else None
    return [
        {
            "session_id": row["session_id"],
            "client_id": row["client_id"],
            "reseller_id": row["reseller_id"],
            "user_id": row["user_id"],
            "started_at": format_instant(row["started_at"]),
            "ended_at": format_instant(row["ended_at"]),
            "requests": int(row["requests"]),
        }
        for row in page
    ], next_position


SESSION_REQUESTS_SQL = """
SELECT r.request_id, r.occurred_at, r.method, r.path, r.status, r.duration_ms,
       p.line_number, p.product_id, p.product_name, p.category, p.unit_price, p.currency, p.quantity
FROM (
  SELECT request_id, occurred_at, method, path, status, duration_ms
  FROM {marts}.fct_requests
  WHERE session_id = ? AND %(scope)s
) AS r
LEFT JOIN (
  SELECT request_id, line_number, product_id, product_name, category, unit_price, currency, quantity
  FROM {marts}.fct_request_products
  WHERE session_id = ?
) AS p ON p.request_id = r.request_id
ORDER BY r.occurred_at, r.request_id, p.line_number
"""


def session_requests(backend: Backend, scope: Scope, session_id: str) -> dict[str, Any] | None:
    """The session's requests in time order with their products; None when out of scope or absent."""
    scope_sql, scope_params = _scope_filter(scope)
    # Each side is filtered by the session before the join, so each scan filters on its own;
    # products come only with in-scope requests.
    rows: list[Row] = backend.query(
        SESSION_REQUESTS_SQL % {"scope": scope_sql}, [session_id, *scope_params, session_id]
    )
    if not rows:
        return None
    requests: dict[str, dict[str, Any]] = {}
    for row in rows:
        request = requests.get(row["request_id"])
        if request is None:
            request = requests[row["request_id"]] = {
                "request_id": row["request_id"],
                "occurred_at": format_instant(row["occurred_at"]),
                "method": row["method"],
                "path": row["path"],
                "status": int(row["status"]),
                "duration_ms": int(row["duration_ms"]),
                "products": [],
            }
        if row["product_id"] is not None:
            request["products"].append(
                {
                    "product_id": row["product_id"],
                    "name": row["product_name"],
                    "category": row["category"],
                    "unit_price": _money(row["unit_price"]),
                    "currency": row["currency"],
                    "quantity": int(row["quantity"]),
                }
            )
    return {"session_id": session_id, "requests": list(requests.values())}
