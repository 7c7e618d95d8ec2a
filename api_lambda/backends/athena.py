"""Athena backend: user input travels only as ExecutionParameters, never inside the SQL text.

The botocore client is created once per container (on its first query) and passed in. Each query
runs in the API's own workgroup with result reuse (an identical query within the max age is
answered from the previous result, at no scan cost), and is polled with exponential backoff
until it finishes or the timeout passes. Timeouts, throttling and Athena-side failures that
are worth retrying become `BackendUnavailable` (503 + Retry-After).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from api_lambda import deadline
from api_lambda.backends import Param, Row
from api_lambda.errors import BackendUnavailable, logger

_THROTTLING_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "Throttling",
    "RequestLimitExceeded",
    "SlowDown",
    "ServiceUnavailable",
    "InternalServerException",
}
_INTEGER_TYPES = {"tinyint", "smallint", "integer", "int", "bigint"}
# Athena documents execution parameters in WHERE only; a `LIMIT ?` gets its value inlined.
_LIMIT_PLACEHOLDER = re.compile(r"\bLIMIT\s+\?", re.IGNORECASE)
_MAX_LIMIT = 100_000
_FLOAT_TYPES = {"double", "float", "real"}


def to_execution_parameter(value: Param) -> str:
    """Athena substitutes each parameter as one SQL literal: strings need quotes, ints none.

    Values are validated before they get here (ids match a strict pattern, dates are parsed),
    and quotes are doubled anyway, so a value can only ever be a literal.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"unsupported parameter type {type(value).__name__}")
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"


def inline_limits(sql: str, params: Sequence[Param]) -> tuple[str, list[Param]]:
    """`sql` with each `LIMIT ?` replaced by its parameter, validated as a whole number; the rest.

    Athena documents `?` parameters in the WHERE clause only, so a row limit cannot travel as
    one. It is inlined instead, and only ever as a validated integer (0.._MAX_LIMIT), so it can
    never carry SQL.
    """
    remaining: list[Param] = []
    pieces: list[str] = []
    position, index = 0, 0
    for placeholder in re.finditer(r"\?", sql):
        if index >= len(params):
            raise ValueError("fewer parameters than ? placeholders")
        value = params[index]
        index += 1
        limit = _LIMIT_PLACEHOLDER.search(sql, max(0, placeholder.start() - 64), placeholder.end())
        if limit is None or limit.end() != placeholder.end():
            remaining.append(value)
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_LIMIT:
            raise ValueError(f"LIMIT must be a whole number 0..{_MAX_LIMIT}, got {value!r}")
        pieces.append(sql[position : placeholder.start()] + str(value))
        position = placeholder.end()
    if index != len(params):
        raise ValueError("more parameters than ? placeholders")
    return "".join(pieces) + sql[position:], remaining


def _convert(value: str | None, athena_type: str) -> Any:
    if value is None:
        return None
    kind = athena_type.lower().split("(")[0].strip()
    if kind in _INTEGER_TYPES:
        return int(value)
    if kind in _FLOAT_TYPES:
        return float(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "boolean":
        return value.lower() == "true"
    if kind == "date":
        return date.fromisoformat(value)
    if kind.startswith("timestamp"):
        return datetime.fromisoformat(value.replace(" UTC", ""))
    return value


class LazyClient:
    """A botocore client built by `factory` on first use, once per process (thread-safe).

    The container still creates exactly one client; it just does so on its first query
    instead of during the module import that the Lambda's init phase times.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._factory()
                client = self._client
        return getattr(client, name)


class AthenaBackend:
    name = "athena"

    def __init__(
        self,
        client: Any,
        workgroup: str,
        database: str,
        result_reuse_minutes: int = 60,
        timeout_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._workgroup = workgroup
        self._database = database
        self._reuse_minutes = result_reuse_minutes
        self._timeout = timeout_seconds
        self._sleep = sleep
        self._clock = clock
        self.marts = f'"{database}"'

    def query(self, sql: str, params: Sequence[Param]) -> list[Row]:
        sql, params = inline_limits(sql, params)
        request: dict[str, Any] = {
            "QueryString": sql.replace("{marts}", self.marts),
            "QueryExecutionContext": {"Database": self._database},
            "WorkGroup": self._workgroup,
        }
        if params:
            request["ExecutionParameters"] = [to_execution_parameter(value) for value in params]
        if self._reuse_minutes > 0:
            request["ResultReuseConfiguration"] = {
                "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": self._reuse_minutes}
            }
        try:
            query_id = self._client.start_query_execution(**request)["QueryExecutionId"]
            self._wait(query_id)
            return self._results(query_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _THROTTLING_CODES:
                raise BackendUnavailable(
                    "Athena is throttling requests; try again shortly", retry_after=5
                ) from None
            raise
        except BotoCoreError as exc:
            logger.warning("Athena unreachable", extra={"error": str(exc)})
            raise BackendUnavailable(
                "Athena could not be reached; try again shortly", retry_after=5
            ) from None

    def _wait(self, query_id: str) -> None:
        left = deadline.check()
        by_request = left is not None and left < self._timeout
        stop_at = self._clock() + (left if by_request else self._timeout)  # type: ignore[operator]
        delay = 0.05
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            status = execution["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state in ("FAILED", "CANCELLED"):
                self._raise_failed(query_id, status)
            if self._clock() + delay > stop_at:
                self._stop(query_id)
                if by_request:
                    raise deadline.DeadlineExceeded()
                raise BackendUnavailable(
                    f"the query did not finish within {self._timeout:g} s; try again shortly",
                    retry_after=max(1, round(self._timeout)),
                )
            self._sleep(delay)
            delay = min(delay * 2, 1.0)

    def _raise_failed(self, query_id: str, status: dict[str, Any]) -> None:
        error = status.get("AthenaError", {})
        reason = status.get("StateChangeReason", "")
        logger.error(
            "Athena query failed", extra={"query_id": query_id, "reason": reason, "athena_error": error}
        )
        transient = (
            error.get("Retryable")
            or error.get("ErrorCategory") == 1
            or any(
                word in reason.upper()
                for word in ("TOO_MANY_REQUESTS", "THROTTL", "SLOW DOWN", "RATE EXCEEDED")
            )
        )
        if transient:
            raise BackendUnavailable("Athena could not run the query now; try again shortly", retry_after=10)
        raise RuntimeError(f"Athena query {query_id} failed: {reason}")

    def _stop(self, query_id: str) -> None:
        try:
            self._client.stop_query_execution(QueryExecutionId=query_id)
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "could not stop a timed-out query", extra={"query_id": query_id, "error": str(exc)}
            )

    def _results(self, query_id: str) -> list[Row]:
        rows: list[Row] = []
        columns: list[tuple[str, str]] = []
        request: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 1000}
        first_page = True
        while True:
            page = self._client.get_query_results(**request)
            result_set = page["ResultSet"]
            if first_page:
                info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [(column["Name"], column.get("Type", "varchar")) for column in info]
            data = result_set.get("Rows", [])
            # A SELECT's first row is its header: the column names again.
            if (
                first_page
                and data
                and [cell.get("VarCharValue") for cell in data[0]["Data"]] == [name for name, _ in columns]
            ):
                data = data[1:]
            for raw in data:
                cells = [cell.get("VarCharValue") for cell in raw["Data"]]
                rows.append(
                    {name: _convert(value, kind) for (name, kind), value in zip(columns, cells, strict=True)}
                )
            first_page = False
            token = page.get("NextToken")
            if not token:
                return rows
            request["NextToken"] = token
