"""Backends run the query layer's SQL: DuckDB on the local warehouse file, Athena in AWS.

Both take SQL with `?` placeholders plus a list of str/int parameters and return rows as dicts
of Python values (str, int, float, Decimal, date, datetime, None). Each is imported lazily so
the Lambda (Athena) never imports duckdb and the local server never needs boto3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from api_lambda.settings import Settings

Param = str | int
Row = dict[str, Any]


class Backend(Protocol):
    name: str
    # Identifier put in front of table names (`{marts}.fct_sessions`); from settings, never input.
    marts: str

    def query(self, sql: str, params: Sequence[Param]) -> list[Row]: ...


# The rows of the session-day facts that continue a session (or a session's product) from an
# earlier day (previous_event_date is set), kept by dbt in marts of their own: a few per cent of
# fct_session_days and a fraction of a per cent of fct_product_session_days. The multi-period
# corrections read only these rows: a few thousand, not the facts.
_CONTINUATION_COLUMNS = "client_id, reseller_id, user_id, event_date, previous_event_date"
CONTINUATIONS: dict[str, tuple[str, str]] = {
    "session_continuations": ("fct_session_day_continuations", _CONTINUATION_COLUMNS),
    "product_continuations": (
        "fct_product_session_day_continuations",
        f"{_CONTINUATION_COLUMNS}, product_id, currency",
    ),
}


def continuation_table(name: str) -> str:
    """The mart of one of the CONTINUATIONS (`{marts}` left for the backend)."""
    return "{marts}." + CONTINUATIONS[name][0]


def continuation_sql(name: str) -> str:
    """A SELECT of the columns the API reads from one of the CONTINUATIONS."""
    return f"SELECT {CONTINUATIONS[name][1]} FROM {continuation_table(name)}"


def make_backend(settings: Settings) -> Backend:
    if settings.backend == "athena":
        from api_lambda.backends.athena import AthenaBackend, LazyClient

        return AthenaBackend(
            client=LazyClient(_athena_client),
            workgroup=settings.athena_workgroup,
            database=settings.athena_database,
            result_reuse_minutes=settings.athena_result_reuse_minutes,
            timeout_seconds=settings.athena_query_timeout_seconds,
        )
    from api_lambda.backends.duckdb import DuckDBBackend

    return DuckDBBackend(settings.warehouse_path, schema=settings.marts_schema)


def _athena_client() -> Any:
    # botocore's session directly, not boto3: boto3 also imports s3transfer (and with it
    # multiprocessing), ~0.2 s of cold start the API never uses. Imported here, on the first
    # query, so that the handler module's import (the Lambda's init) does not pay for
    # botocore's client machinery and the Athena service model (~0.4 s CPU, README).
    import botocore.session

    return botocore.session.get_session().create_client("athena")
