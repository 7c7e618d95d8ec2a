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
from api_lambda.periods import DateRange, Grain, dense_series, format_instant, format_period, whole_periods
from api_lambda.scope import ID_KEYS, LEVELS, Level, Scope


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _day(day: date) -> str:
    return day.isoformat()


def _scope_filter(scope: Scope, qualifier: str = "") -> tuple[str, list[Param]]:
    """`client_id = ? AND ...` for the ids the scope sets (the full path, never a bare child id).

    `qualifier` (a constant such as `"f."`) prefixes the columns where a query joins tables.
    """
    ids = scope.ids()
    clauses = [f"{qualifier}{key} = ?" for key in ids]
    return (" AND ".join(clauses) if clauses else "TRUE"), list(ids.values())


def _ratio(requests: int, sessions: int) -> float:
    return round(requests / sessions, 4) if sessions else 0.0


def _money(value: Decimal | float | None) -> float:
    return round(float(value or 0), 4)


def _counted(date_range: DateRange, scope: Scope) -> dict[str, Any]:
    """What an answer counted: the widened range and the scope."""
    return {"from": _day(date_range.start), "to": _day(date_range.end), "scope": scope.as_dict()}


# The aggregates' periods in a range. `period_date` repeats the bound on the aggregates' Athena
# partition column (grain, level, period_date), so Athena reads only the range's partitions.
_PERIODS_IN_RANGE = (
    "period_start >= CAST(? AS TIMESTAMP) AND period_start < CAST(? AS TIMESTAMP)"
    " AND period_date >= CAST(? AS DATE) AND period_date <= CAST(? AS DATE)"
)


def _period_params(date_range: DateRange) -> list[Param]:
    """The parameters of `_PERIODS_IN_RANGE`, in its order."""
    return [
        _ts(date_range.start_ts),
        _ts(date_range.end_exclusive_ts),
        _day(date_range.start),
        _day(date_range.end),
    ]


SERIES_SQL = """
SELECT period_start, sessions, requests
FROM {marts}.agg_session_metrics
WHERE grain = ? AND level = ? AND %(scope)s
  AND %(periods)s
ORDER BY period_start
"""


def session_series(backend: Backend, scope: Scope, date_range: DateRange) -> dict[str, Any]:
    scope_sql, scope_params = _scope_filter(scope)
    rows = backend.query(
        SERIES_SQL % {"scope": scope_sql, "periods": _PERIODS_IN_RANGE},
        [
            date_range.grain,
            scope.level,
            *scope_params,
            *_period_params(date_range),
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


# A range that is exactly one period of some grain is read from the aggregate's rows of that
# period: exact distinct sessions, precomputed. Any other range counts distinct sessions in the
# session-days fact.
BREAKDOWN_ONE_PERIOD_SQL = """
SELECT %(columns)s, sessions, requests
FROM {marts}.agg_session_metrics
WHERE grain = ? AND level = ? AND %(scope)s
  AND %(periods)s
ORDER BY sessions DESC, %(columns)s
"""
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
    grain, periods = whole_periods(date_range.start, date_range.end)
    if periods == 1:
        sql = BREAKDOWN_ONE_PERIOD_SQL
        params = [grain, by, *scope_params, *_period_params(date_range)]
    else:
        sql = BREAKDOWN_SQL
        params = [*scope_params, _day(date_range.start), _day(date_range.end)]
    rows = backend.query(
        sql % {"columns": ", ".join(columns), "scope": scope_sql, "periods": _PERIODS_IN_RANGE}, params
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


# The period of an event date in each grain the product aggregate is summed over.
_PERIOD_OF_DATE: dict[Grain, str] = {
    "day": "event_date",
    "week": "date_trunc('week', event_date)",
    "month": "date_trunc('month', event_date)",
}
PRODUCTS_ONE_PERIOD_SQL = """
SELECT product_id, product_name AS name, category, currency, requests, sessions, quantity, revenue
FROM {marts}.agg_product_metrics
WHERE grain = ? AND level = ? AND %(scope)s
  AND %(periods)s
ORDER BY requests DESC, product_id, currency
LIMIT ?
"""
# Requests, quantity and revenue of a range add up over its periods; distinct sessions do not:
# a session with the product in k periods is counted k times by the sum of the periods'
# sessions. So the sum is corrected by k - 1 for each such session, and only sessions with
# requests in two or more periods of the range (e.g. across midnight for days) can have k > 1.
# That reads the facts' rows of those few sessions instead of counting distinct sessions over
# every row of the range, and is exact.
PRODUCTS_SQL = """
WITH per_period AS (
  SELECT product_id, currency, MAX(product_name) AS name, MAX(category) AS category,
         SUM(requests) AS requests, SUM(sessions) AS period_sessions,
         SUM(quantity) AS quantity, SUM(revenue) AS revenue
  FROM {marts}.agg_product_metrics
  WHERE grain = ? AND level = ? AND %(scope)s
    AND %(periods)s
  GROUP BY product_id, currency
),
repeats AS (
  SELECT product_id, currency, SUM(periods - 1) AS repeats
  FROM (
    SELECT product_id, currency, session_id, COUNT(DISTINCT %(period)s) AS periods
    FROM {marts}.fct_product_session_days
    WHERE %(scope)s AND event_date >= CAST(? AS DATE) AND event_date <= CAST(? AS DATE)
      AND session_id IN (
        SELECT session_id
        FROM {marts}.fct_session_days
        WHERE %(scope)s AND event_date >= CAST(? AS DATE) AND event_date <= CAST(? AS DATE)
        GROUP BY session_id
        HAVING MIN(%(period)s) < MAX(%(period)s)
      )
    GROUP BY product_id, currency, session_id
  ) AS session_periods
  GROUP BY product_id, currency
)
SELECT t.product_id, t.name, t.category, t.currency, t.requests,
       t.period_sessions - COALESCE(r.repeats, 0) AS sessions, t.quantity, t.revenue
FROM per_period AS t
LEFT JOIN repeats AS r ON r.product_id = t.product_id AND r.currency = t.currency
ORDER BY t.requests DESC, t.product_id, t.currency
LIMIT ?
"""


PRODUCTS_DIRECT_SQL = """
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
    grain, periods = whole_periods(date_range.start, date_range.end)
    params: list[Param] = [
        grain,
        scope.level,
        *scope_params,
        *_period_params(date_range),
    ]
    if periods == 1:
        sql = PRODUCTS_ONE_PERIOD_SQL % {"scope": scope_sql, "periods": _PERIODS_IN_RANGE}
    elif scope.depth >= 2:
        # A reseller's or user's rows are few: counting their distinct sessions directly is
        # cheaper than the three reads of the corrected sum (measured, README).
        sql = PRODUCTS_DIRECT_SQL % {"scope": scope_sql}
        params = [*scope_params, _day(date_range.start), _day(date_range.end)]
    else:
        sql = PRODUCTS_SQL % {
            "scope": scope_sql,
            "period": _PERIOD_OF_DATE[grain],
            "periods": _PERIODS_IN_RANGE,
        }
        days = [_day(date_range.start), _day(date_range.end)]
        params += [*scope_params, *days, *scope_params, *days]
    rows = backend.query(sql, [*params, limit])
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


# The session's row (in scope, or none: a 404) gives the dates its requests lie on. Each fact is
# joined to it on session_id and that event_date range, and also filtered by session_id as a
# constant: the constant lets DuckDB skip row groups by their session_id min/max, and the
# join's date range lets Athena (Trino's dynamic filtering) skip the facts' event_date
# partitions outside the session, in the same single query.
SESSION_REQUESTS_SQL = """
WITH target_session AS (
  SELECT session_id, started_on AS first_day, CAST(ended_at AS DATE) AS last_day
  FROM {marts}.fct_sessions
  WHERE session_id = ? AND %(scope)s
)
SELECT r.request_id, r.occurred_at, r.method, r.path, r.status, r.duration_ms,
       p.line_number, p.product_id, p.product_name, p.category, p.unit_price, p.currency, p.quantity
FROM (
  SELECT f.request_id, f.occurred_at, f.method, f.path, f.status, f.duration_ms
  FROM {marts}.fct_requests AS f
  INNER JOIN target_session AS s
    ON f.session_id = s.session_id AND f.event_date >= s.first_day AND f.event_date <= s.last_day
  WHERE f.session_id = ? AND %(fact_scope)s
) AS r
LEFT JOIN (
  SELECT g.request_id, g.line_number, g.product_id, g.product_name, g.category, g.unit_price,
         g.currency, g.quantity
  FROM {marts}.fct_request_products AS g
  INNER JOIN target_session AS s
    ON g.session_id = s.session_id AND g.event_date >= s.first_day AND g.event_date <= s.last_day
  WHERE g.session_id = ?
) AS p ON p.request_id = r.request_id
ORDER BY r.occurred_at, r.request_id, p.line_number
"""


def session_requests(backend: Backend, scope: Scope, session_id: str) -> dict[str, Any] | None:
    """The session's requests in time order with their products; None when out of scope or absent."""
    scope_sql, scope_params = _scope_filter(scope)
    fact_scope_sql, _ = _scope_filter(scope, "f.")
    # Products come only with in-scope requests of an in-scope session.
    rows: list[Row] = backend.query(
        SESSION_REQUESTS_SQL % {"scope": scope_sql, "fact_scope": fact_scope_sql},
        [session_id, *scope_params, session_id, *scope_params, session_id],
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
