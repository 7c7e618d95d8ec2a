"""Backends run the query layer's SQL with DuckDB: over the Iceberg marts a dbt build published
on S3 (`lake`: AWS and the twin), or over the local warehouse file (`warehouse`).

Both take SQL with `?` placeholders plus a list of str/int parameters and return rows as dicts
of Python values (str, int, float, Decimal, date, datetime, None). The SQL is the same for both;
only what `{marts}` names differs. Each is imported lazily: the Lambda's zip has no warehouse code.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from api_lambda.settings import Settings

Param = str | int
Row = dict[str, Any]


class Backend(Protocol):
    name: str
    # Identifier put in front of table names (`{marts}.fct_sessions`); from settings, never input.
    marts: str

    def query(self, sql: str, params: Sequence[Param]) -> list[Row]: ...

    # Every query of one request reads one version of the marts (entered around each request).
    def pinned(self) -> AbstractContextManager[None]: ...


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


def make_backend(settings: Settings, count_s3_reads: bool = False) -> Backend:
    """The backend the settings name; `count_s3_reads`: the lake backend counts its S3 requests
    (the Lambda's per-route metrics)."""
    if settings.backend == "lake":
        from api_lambda.backends.lake import LakeBackend

        assert settings.s3 is not None  # Settings.from_env sets it with the pointer
        return LakeBackend(
            settings.marts_pointer,
            settings.s3,
            refresh_seconds=settings.pointer_refresh_seconds,
            memory_mb=settings.duckdb_memory_mb,
            count_s3_reads=count_s3_reads,
        )
    from api_lambda.backends.duckdb import DuckDBBackend

    return DuckDBBackend(settings.warehouse_path, schema=settings.marts_schema)
