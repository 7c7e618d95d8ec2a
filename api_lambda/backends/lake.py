"""Lake backend: DuckDB reads the Iceberg marts a successful dbt build published on S3.

The dbt runner publishes one object, the serving pointer (serving/pointer.py), naming the current
metadata file of every table the API reads. This backend reads the pointer at most every
`refresh_seconds` and, for each new version, gives it a schema of its own (`v<n>`) in which each
mart is a view over `iceberg_scan` of its metadata file: the query layer's SQL runs unchanged, its
`{marts}` naming that schema. Every request reads one version (the one its first query found), so
a build published meanwhile is seen by the next request, never by half of this one.

A view is defined when a query of its version first names it, not with the version: defining one
binds `iceberg_scan`, which reads the table's metadata file, manifest list and manifests from S3
(4 requests or more). Defining the seven marts up front made every new container and every new
version pay for all seven whatever the call read; the typical call (a
series from agg_session_metrics) pays for its one table.

What a version names never changes (Iceberg metadata, manifests and data files are immutable by
name), so DuckDB's caches of the files it read (their HEAD answers and their bytes) stay valid for
as long as the version is served: a warm container asks S3 for nothing but the pointer.
Credentials are the Lambda role's (from the environment); the extensions come from the zip.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from api_lambda import deadline
from api_lambda.backends import Param, Row
from api_lambda.backends.engine import (
    LAKE_EXTENSIONS,
    connect_offline,
    remember_that_pandas_is_missing,
    run_query,
)
from api_lambda.errors import BackendUnavailable, logger
from api_lambda.settings import S3Access
from serving.pointer import SERVED_TABLES, Pointer, PointerError

# The pointer's reader holds one small JSON object at a time.
POINTER_READER_MB = 64


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def secret_sql(s3: S3Access) -> str:
    """The DuckDB secret that signs every S3 request with the role's credentials."""
    options = [
        "TYPE s3",
        f"KEY_ID {_literal(s3.key_id)}",
        f"SECRET {_literal(s3.secret)}",
        f"REGION {_literal(s3.region)}",
    ]
    if s3.session_token:
        options.append(f"SESSION_TOKEN {_literal(s3.session_token)}")
    if s3.endpoint:
        options += [
            f"ENDPOINT {_literal(s3.endpoint)}",
            "URL_STYLE 'path'",
            f"USE_SSL {str(s3.use_ssl).lower()}",
        ]
    return f"CREATE OR REPLACE SECRET lake ({', '.join(options)})"


# The marts a query names (`{marts}.<table>`, the query layer's spelling).
_NAMED_MART = re.compile(r"\{marts\}\.([a-z_][a-z0-9_]*)")


def view_sql(schema: str, table: str, pointer: Pointer) -> str:
    """The statement that defines one published mart in its version's `schema`."""
    return f"CREATE VIEW {schema}.{table} AS SELECT * FROM iceberg_scan({_literal(pointer.tables[table])})"


def named_marts(sql: str) -> list[str]:
    """The served marts `sql` reads, in the order it names them first."""
    named = dict.fromkeys(_NAMED_MART.findall(sql))
    unknown = [table for table in named if table not in SERVED_TABLES]
    if unknown:
        raise ValueError(f"the query names marts the pointer does not serve: {unknown}")
    return list(named)


@dataclass
class _Version:
    schema: str
    pointer: Pointer
    users: int = 0
    retired: bool = False
    # The marts whose views exist in `schema` (defined on first use, under `defining`).
    defined: set[str] = field(default_factory=set)
    defining: threading.Lock = field(default_factory=threading.Lock)


class LakeBackend:
    name = "lake"

    def __init__(
        self,
        pointer_url: str,
        s3: S3Access,
        refresh_seconds: float = 30.0,
        memory_mb: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        count_s3_reads: bool = False,
    ) -> None:
        self.pointer_url = pointer_url
        self.refresh_seconds = refresh_seconds
        self.marts = ""  # per version: `query` puts the request's schema in
        self._clock = clock
        remember_that_pandas_is_missing()
        self._conn = connect_offline(LAKE_EXTENSIONS, memory_mb)
        self._conn.execute(secret_sql(s3))
        # Everything a version names is immutable by name: its HEAD answers (size, ETag) are kept
        # too, so a warm call makes no S3 request at all. The pointer, the one object that
        # changes, is read through a DuckDB of its own, which keeps no such answers.
        self._conn.execute("SET enable_http_metadata_cache = true")
        self._pointer_conn = connect_offline(("httpfs",), POINTER_READER_MB)
        self._pointer_conn.execute(secret_sql(s3))
        self.counts_s3_reads = count_s3_reads
        # Every request and byte taken so far (what the bench reads around a call), and the requests
        # among them for data files (Parquet), the rest being Iceberg metadata.
        self.s3_totals = (0, 0)
        self.s3_data_file_requests = 0
        if count_s3_reads:
            # DuckDB logs each HTTP request it makes: the per-request metrics count them.
            self._conn.execute("CALL enable_logging('HTTP')")
        self._current: _Version | None = None
        self._checked_at: float | None = None
        self._generation = 0
        # Guards the current version and its users; one thread at a time re-reads the pointer.
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._pinned: ContextVar[list[_Version] | None] = ContextVar(f"version-{id(self)}", default=None)

    def query(self, sql: str, params: Sequence[Param]) -> list[Row]:
        import duckdb

        deadline.check()
        pin = self._pinned.get()
        if pin is not None and not pin:
            pin.append(self._acquire())
        version = pin[0] if pin else self._acquire()
        try:
            self._define(version, named_marts(sql))
            return run_query(self._conn, sql.replace("{marts}", version.schema), params)
        except (duckdb.IOException, duckdb.HTTPException) as exc:
            # S3 could not be read (throttled, unreachable, a file gone): the client may retry.
            logger.warning("the marts could not be read from S3", extra={"error": str(exc)[:500]})
            raise BackendUnavailable(
                "the marts could not be read now; try again shortly", retry_after=2
            ) from None
        finally:
            if not pin:
                self._release(version)

    def take_s3_reads(self) -> tuple[int, int]:
        """S3 requests DuckDB made since the last call, and the bytes its GETs received; resets the
        count. Exact per request in a Lambda (one request at a time); locally, requests that
        overlap share it."""
        if not self.counts_s3_reads:
            return 0, 0
        cursor = self._conn.cursor()
        try:
            requests, received, data_files = cursor.execute(
                "SELECT count(*), coalesce(sum(CASE WHEN request.type = 'GET'"
                " THEN TRY_CAST(response.headers['Content-Length'] AS BIGINT) END), 0),"
                " count(*) FILTER (WHERE split_part(request.url, '?', 1) LIKE '%.parquet')"
                " FROM duckdb_logs_parsed('HTTP')"
            ).fetchone()
            cursor.execute("CALL truncate_duckdb_logs()")
        finally:
            cursor.close()
        self.s3_totals = (self.s3_totals[0] + int(requests), self.s3_totals[1] + int(received))
        self.s3_data_file_requests += int(data_files)
        return int(requests), int(received)

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Every query of the enclosed request reads the version its first query found."""
        pin: list[_Version] = []
        token = self._pinned.set(pin)
        try:
            yield
        finally:
            self._pinned.reset(token)
            for version in pin:
                self._release(version)

    def prepare(self) -> None:
        """Read the pointer now (server start), so the first request does not wait for it."""
        try:
            self._release(self._acquire())
        except BackendUnavailable as exc:
            logger.warning("no published marts yet", extra={"reason": exc.message})

    def _acquire(self) -> _Version:
        now = self._clock()
        due = self._checked_at is None or now - self._checked_at >= self.refresh_seconds
        # One thread re-reads the pointer; the others go on with the version they have.
        if due and (self._current is None or self._refreshing.acquire(blocking=False)):
            if self._current is None:
                self._refreshing.acquire()
            try:
                self._refresh(now)
            finally:
                self._refreshing.release()
        with self._lock:
            current = self._current
            if current is None:
                raise BackendUnavailable(
                    f"no published marts at {self.pointer_url} yet (a dbt build publishes them)",
                    retry_after=30,
                )
            current.users += 1
            return current

    def _release(self, version: _Version) -> None:
        with self._lock:
            version.users -= 1
            if version.retired and version.users == 0:
                self._drop(version)

    def _refresh(self, now: float) -> None:
        if (
            self._current is not None
            and self._checked_at is not None
            and now - self._checked_at < self.refresh_seconds
        ):
            return  # another thread refreshed while this one waited
        try:
            pointer = self._read_pointer()
        except (PointerError, RuntimeError) as exc:
            # Keep serving what was published before; try again after the next interval.
            logger.warning(
                "serving pointer unreadable", extra={"pointer": self.pointer_url, "error": str(exc)[:500]}
            )
            self._checked_at = now
            return
        self._checked_at = now
        current = self._current
        if current is not None and current.pointer.version == pointer.version:
            return
        self._generation += 1
        fresh = _Version(schema=f"v{self._generation}", pointer=pointer)
        cursor = self._conn.cursor()
        try:
            cursor.execute(f"CREATE SCHEMA {fresh.schema}")
        finally:
            cursor.close()
        with self._lock:
            self._current = fresh
            if current is not None:
                current.retired = True
                if current.users == 0:
                    self._drop(current)
        logger.info(
            "serving a new version of the marts",
            extra={"committed_at": pointer.committed_at, "run_id": pointer.run_id},
        )

    def _define(self, version: _Version, tables: list[str]) -> None:
        """Define the views of `tables` in `version`'s schema that no query defined yet."""
        missing = [table for table in tables if table not in version.defined]
        if not missing:
            return
        with version.defining:
            cursor = self._conn.cursor()
            try:
                for table in missing:
                    if table not in version.defined:
                        cursor.execute(view_sql(version.schema, table, version.pointer))
                        version.defined.add(table)
            finally:
                cursor.close()

    def _read_pointer(self) -> Pointer:
        import duckdb

        cursor = self._pointer_conn.cursor()
        try:
            # DuckDB's file cache checks the object's ETag first: a changed pointer is read anew.
            rows = cursor.execute(f"SELECT content FROM read_text({_literal(self.pointer_url)})").fetchall()
        except duckdb.Error as exc:
            raise RuntimeError(f"cannot read {self.pointer_url}: {exc}") from None
        finally:
            cursor.close()
        return Pointer.from_json(rows[0][0])

    def _drop(self, version: _Version) -> None:
        """Forget a replaced version's views (caller holds _lock; nobody reads them any more)."""
        cursor = self._conn.cursor()
        try:
            cursor.execute(f"DROP SCHEMA IF EXISTS {version.schema} CASCADE")
        finally:
            cursor.close()
