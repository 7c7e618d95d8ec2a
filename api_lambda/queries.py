"""The one query layer: each route's SQL, written once with `?` parameters, run by any backend.

SQL text is built only from constants in this module (column names, fragments chosen by the
scope's level); every value a client sent travels as a parameter. Dates go in as 'YYYY-MM-DD'
strings and timestamps as 'YYYY-MM-DD HH:MM:SS' strings, cast in SQL. The SQL is one text for
both places the marts are read (the Iceberg marts on S3, the local warehouse): it bounds every
read on the column the marts are partitioned by, which skips files on S3 and row groups locally.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from api_lambda.backends import Backend, Param, Row, continuation_table
from api_lambda.buckets import period_bucket
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


# The aggregates' periods in a range. `period_bucket` repeats the bound on the aggregates' last
# partition column (grain, level, period_bucket; `buckets.py`), so the other buckets' files are
# skipped on their partition values without a request to S3 (and a reader that prunes manifests
# on the manifest list's partition summaries skips their manifests too: DuckDB 1.5.5 reads every
# manifest, measured); the bound on period_start skips files on their column bounds.
_PERIODS_IN_RANGE = (
    "period_start >= CAST(? AS TIMESTAMP) AND period_start < CAST(? AS TIMESTAMP)"
    " AND period_bucket >= CAST(? AS DATE) AND period_bucket <= CAST(? AS DATE)"
)


def _period_params(date_range: DateRange, grain: Grain, level: Level) -> list[Param]:
    """The parameters of `_PERIODS_IN_RANGE` for `grain` rows at `level`, in its order."""
    return [
        _ts(date_range.start_ts),
        _ts(date_range.end_exclusive_ts),
        _day(period_bucket(grain, level, date_range.start)),
        _day(period_bucket(grain, level, date_range.end)),
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
            *_period_params(date_range, date_range.grain, scope.level),
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


# How a range's distinct sessions are counted without a distinct count over its rows.
#
# A range is read as the fewest whole periods of one grain (`periods.whole_periods`: days, ISO
# weeks or months). The aggregates hold each period's exact distinct sessions, so one period is
# one row per key. Over several periods the periods' sessions add up to the range's distinct
# sessions plus one for every further period a session was active in. The session-day facts give
# each row the session's previous active day, so those extra periods are exactly the range's
# rows whose previous active day is also in the range but in another period: a few rows among
# the facts' continuation rows (`backends.CONTINUATIONS`), counted and subtracted.
_PERIOD_OF: dict[Grain, str] = {
    "day": "%(column)s",
    "week": "date_trunc('week', %(column)s)",
    "month": "date_trunc('month', %(column)s)",
}
# The facts' rows in a range that start a further period of a session (or a session-product)
# already counted in an earlier period of the range.
_REPEATS_IN_RANGE = (
    "event_date >= CAST(? AS DATE) AND event_date <= CAST(? AS DATE)"
    " AND previous_event_date >= CAST(? AS DATE) AND %(period)s <> %(previous_period)s"
)


def _repeats(grain: Grain) -> str:
    return _REPEATS_IN_RANGE % {
        "period": _PERIOD_OF[grain] % {"column": "event_date"},
        "previous_period": _PERIOD_OF[grain] % {"column": "previous_event_date"},
    }


def _repeat_params(date_range: DateRange) -> list[Param]:
    """The parameters of `_REPEATS_IN_RANGE`, in its order."""
    return [_day(date_range.start), _day(date_range.end), _day(date_range.start)]


BREAKDOWN_ONE_PERIOD_SQL = """
SELECT %(columns)s, sessions, requests
FROM {marts}.agg_session_metrics
WHERE grain = ? AND level = ? AND %(scope)s
  AND %(periods)s
ORDER BY sessions DESC, %(columns)s
"""
BREAKDOWN_SQL = """
WITH per_period AS (
  SELECT %(columns)s, SUM(sessions) AS period_sessions, SUM(requests) AS requests
  FROM {marts}.agg_session_metrics
  WHERE grain = ? AND level = ? AND %(scope)s
    AND %(periods)s
  GROUP BY %(columns)s
),
repeats AS (
  SELECT %(columns)s, COUNT(*) AS repeats
  FROM %(continuations)s
  WHERE %(scope)s AND %(repeats)s
  GROUP BY %(columns)s
)
SELECT %(t_columns)s, t.period_sessions - COALESCE(r.repeats, 0) AS sessions, t.requests
FROM per_period AS t
LEFT JOIN repeats AS r ON %(join)s
ORDER BY sessions DESC, %(t_columns)s
"""


def _over_periods(
    scope: Scope,
    date_range: DateRange,
    level: Level,
    statements: tuple[str, str],
    continuations: str,
    extra: dict[str, str] | None = None,
) -> tuple[str, list[Param]]:
    """The statement for a range (`statements`: one period, several) and its parameters; the
    several-period one subtracts the repeats counted in `continuations`."""
    scope_sql, scope_params = _scope_filter(scope)
    grain, periods = whole_periods(date_range.start, date_range.end)
    params: list[Param] = [grain, level, *scope_params, *_period_params(date_range, grain, level)]
    if periods > 1:
        params += [*scope_params, *_repeat_params(date_range)]
    parts = {
        "scope": scope_sql,
        "periods": _PERIODS_IN_RANGE,
        "repeats": _repeats(grain),
        "continuations": continuation_table(continuations),
        **(extra or {}),
    }
    one_period, several = statements
    return (several if periods > 1 else one_period) % parts, params


def session_breakdown(backend: Backend, scope: Scope, date_range: DateRange, by: Level) -> dict[str, Any]:
    columns = list(ID_KEYS[: LEVELS.index(by)])
    sql, params = _over_periods(
        scope,
        date_range,
        by,
        (BREAKDOWN_ONE_PERIOD_SQL, BREAKDOWN_SQL),
        "session_continuations",
        {
            "columns": ", ".join(columns),
            "t_columns": ", ".join(f"t.{column}" for column in columns),
            "join": " AND ".join(f"r.{column} = t.{column}" for column in columns),
        },
    )
    rows = backend.query(sql, params)
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


PRODUCTS_ONE_PERIOD_SQL = """
SELECT product_id, product_name AS name, category, currency, requests, sessions, quantity, revenue
FROM {marts}.agg_product_metrics
WHERE grain = ? AND level = ? AND %(scope)s
  AND %(periods)s
ORDER BY requests DESC, product_id, currency
LIMIT ?
"""
# Requests, quantity and revenue add up over the periods; sessions are corrected as above, per
# product and currency (a session counts for a product on its first day with it in the range).
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
  SELECT product_id, currency, COUNT(*) AS repeats
  FROM %(continuations)s
  WHERE %(scope)s AND %(repeats)s
  GROUP BY product_id, currency
)
SELECT t.product_id, t.name, t.category, t.currency, t.requests,
       t.period_sessions - COALESCE(r.repeats, 0) AS sessions, t.quantity, t.revenue
FROM per_period AS t
LEFT JOIN repeats AS r ON r.product_id = t.product_id AND r.currency = t.currency
ORDER BY t.requests DESC, t.product_id, t.currency
LIMIT ?
"""


def products(backend: Backend, scope: Scope, date_range: DateRange, limit: int) -> dict[str, Any]:
    sql, params = _over_periods(
        scope,
        date_range,
        scope.level,
        (PRODUCTS_ONE_PERIOD_SQL, PRODUCTS_SQL),
        "product_continuations",
    )
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
WHERE %(filters)s%(window)s
ORDER BY started_at DESC, session_id DESC
LIMIT ?
"""
# The scope's last day with requests: no session of the scope started after it.
LAST_ACTIVE_DAY_SQL = """
SELECT MAX(period_start) AS last_day
FROM {marts}.agg_session_metrics
WHERE grain = 'day' AND level = ? AND %(scope)s
"""
# Each bound on started_at comes with the bound it implies on started_on (its UTC date), the
# column fct_sessions is partitioned by: files are skipped on that column.
_OVERLAPS_FROM = " AND ended_at >= CAST(? AS TIMESTAMP)"
_OVERLAPS_TO = " AND started_at < CAST(? AS TIMESTAMP) AND started_on <= CAST(? AS DATE)"
_AFTER_CURSOR = (
    " AND (started_at < CAST(? AS TIMESTAMP) OR (started_at = CAST(? AS TIMESTAMP) AND session_id < ?))"
    " AND started_on <= CAST(? AS DATE)"
)
_STARTED_SINCE = " AND started_at >= CAST(? AS TIMESTAMP) AND started_on >= CAST(? AS DATE)"
# Look-back windows (days before the newest possible start) tried in turn, then none.
SESSION_WINDOWS_DAYS = (1, 8)


def sessions_page(
    backend: Backend,
    scope: Scope,
    start: date | None,
    end: date | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> tuple[list[dict[str, Any]], tuple[datetime, str] | None]:
    """Sessions overlapping [start, end] newest first, and the keyset position of the next page.

    Ordering every session of a large scope to keep the newest few costs a read of every file of
    fct_sessions. A lower bound on started_at, with the started_on bound that comes with it,
    skips all but the last days' files (and, locally, row groups). So the page is read from a
    window before the newest possible start (`to`, the cursor, or the scope's last active day),
    widened while it holds fewer than `limit + 1` rows, and finally unbounded. A window holding
    `limit + 1` rows holds the top `limit + 1` overall (everything outside it started earlier),
    so every try is exact.
    """
    scope_sql, scope_params = _scope_filter(scope)
    filters, params = scope_sql, list(scope_params)
    newest: datetime | None = None
    if start is not None:
        filters += _OVERLAPS_FROM
        params.append(_ts(datetime(start.year, start.month, start.day)))
    if end is not None:
        filters += _OVERLAPS_TO
        newest = datetime(end.year, end.month, end.day) + timedelta(days=1)
        params += [_ts(newest), _day(end)]
    if after is not None:
        filters += _AFTER_CURSOR
        params += [_ts(after[0]), _ts(after[0]), after[1], _day(after[0].date())]
        newest = after[0] if newest is None else min(newest, after[0])
    windows: list[datetime | None] = [None]
    if newest is None:
        found = backend.query(LAST_ACTIVE_DAY_SQL % {"scope": scope_sql}, [scope.level, *scope_params])
        last_day = found[0]["last_day"] if found else None
        newest = None if last_day is None else last_day + timedelta(days=1)
    if newest is not None:
        windows = [newest - timedelta(days=days) for days in SESSION_WINDOWS_DAYS] + [None]
    rows: list[Row] = []
    for since in windows:
        # One row more than asked tells whether another page exists without a count query.
        rows = backend.query(
            SESSIONS_SQL % {"filters": filters, "window": _STARTED_SINCE if since else ""},
            [*params, *([_ts(since), _day(since.date())] if since else []), limit + 1],
        )
        if len(rows) > limit:
            break
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


# A session's requests and their product lines. The facts are partitioned by event_date and not
# sorted by session, so a session_id alone reads every file. The session's fct_sessions row (in
# scope, or none: a 404) gives the dates its requests lie on, and each fact is joined to it on
# session_id and that event_date range, in the same single query.
SESSION_REQUESTS_SQL = """
WITH target_session AS (
  SELECT session_id, started_on AS first_day, CAST(ended_at AS DATE) AS last_day
  FROM {marts}.fct_sessions
  WHERE session_id = ? AND %(scope)s%(started_on)s
)
SELECT r.request_id, r.occurred_at, r.method, r.path, r.status, r.duration_ms,
       p.line_number, p.product_id, p.product_name, p.category, p.unit_price, p.currency, p.quantity
FROM (
  SELECT f.request_id, f.occurred_at, f.method, f.path, f.status, f.duration_ms
  FROM {marts}.fct_requests AS f%(requests_join)s
  WHERE f.session_id = ? AND %(fact_scope)s
) AS r
LEFT JOIN (
  SELECT g.request_id, g.line_number, g.product_id, g.product_name, g.category, g.unit_price,
         g.currency, g.quantity
  FROM {marts}.fct_request_products AS g%(products_join)s
  WHERE g.session_id = ?
) AS p ON p.request_id = r.request_id
ORDER BY r.occurred_at, r.request_id, p.line_number
"""
_JOIN_TARGET_SESSION = """
  INNER JOIN target_session AS s
    ON %(t)s.session_id = s.session_id
    AND %(t)s.event_date >= s.first_day AND %(t)s.event_date <= s.last_day%(from_day)s"""
# The hinted start day as constants, known before the query runs, so the files are chosen on them:
# fct_sessions' started_on partition, and the facts' event_date partitions before that day.
_STARTED_ON = " AND started_on = CAST(? AS DATE)"
_FROM_DAY = " AND %(t)s.event_date >= CAST(? AS DATE)"


def session_requests(
    backend: Backend, scope: Scope, session_id: str, started_on: date | None = None
) -> dict[str, Any] | None:
    """The session's requests in time order with their products; None when out of scope or absent.

    Products come only with in-scope requests of an in-scope session. `started_on` (the
    session's first UTC day, which the sessions list gives) is a hint: with it the session's
    row is looked up in one started_on partition and the facts are read from that day on. A
    session found under the hint started that day, so its answer is exact; none found (a wrong
    hint, or no such session in scope) is asked again without the hint, so a hint can cost a
    second query but never change the answer.
    """
    scope_sql, scope_params = _scope_filter(scope)
    # A session is its user's (the user of its first request: the dbt docs' `session_user`), all
    # of its requests with it, whoever each was logged under (a visitor who signed in midway):
    # the user is checked on the session (the target session is in scope), not on each request.
    fact_scope_sql, fact_params = _scope_filter(Scope(scope.client_id, scope.reseller_id), "f.")
    day = [_day(started_on)] if started_on is not None else []
    parts = {
        "scope": scope_sql,
        "started_on": _STARTED_ON if day else "",
        "requests_join": _JOIN_TARGET_SESSION % {"t": "f", "from_day": _FROM_DAY % {"t": "f"} if day else ""},
        "products_join": _JOIN_TARGET_SESSION % {"t": "g", "from_day": _FROM_DAY % {"t": "g"} if day else ""},
        "fact_scope": fact_scope_sql,
    }
    # In the order of the placeholders: the target session, then each fact's join and filter.
    params: list[Param] = [session_id, *scope_params, *day, *day, session_id, *fact_params, *day, session_id]
    rows: list[Row] = backend.query(SESSION_REQUESTS_SQL % parts, params)
    if not rows and day:
        return session_requests(backend, scope, session_id)
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
