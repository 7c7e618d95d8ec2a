"""DuckDB backend: serves a private read-only snapshot of the warehouse file.

DuckDB lets one process write a file, and a reader's shared lock makes a writer's open fail.
So the API never holds a lock on the warehouse itself: it copies the file to a private
snapshot while no writer holds it, serves every request from a read-only connection to that
snapshot, and, when the warehouse's (inode, size, mtime) changes, takes a fresh snapshot on
the next request once the writer (e.g. `make build`) has let go. During a build the previous
snapshot keeps answering; a finished rebuild is visible on the next request.

Each snapshot is attached read-only to an in-memory database. A snapshot whose continuation
marts (`backends.CONTINUATIONS`) lack a column the API reads is an older or failed build: it is
not taken, and the previous one keeps answering.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api_lambda import deadline
from api_lambda.backends import CONTINUATIONS, Param, Row, continuation_sql
from api_lambda.backends.engine import remember_that_pandas_is_missing, run_query
from api_lambda.errors import BackendUnavailable, logger

_SNAPSHOT_PREFIX = "api-warehouse-"
# The snapshot's name inside each connection's in-memory database.
_ATTACHED = "warehouse"
_INCOMPLETE = "the warehouse has no complete marts yet (or predates this API's marts): run `make build`"
_FLOCK = "hhqqi4x"  # struct flock on 64-bit Linux: type, whence, start, len, pid (+ padding)


def writer_holds_lock(path: Path) -> bool:
    """Whether another process holds DuckDB's write lock on `path`, asked without locking.

    F_GETLK only reports; unlike opening the file with DuckDB it never takes a lock, so it
    cannot make a starting `dbt build` fail.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        probe = struct.pack(_FLOCK, fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        lock_type = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, probe))[0]
        return lock_type != fcntl.F_UNLCK
    except OSError:
        return False
    finally:
        os.close(fd)


def remove_stale_snapshots(base: Path) -> None:
    """Delete snapshot folders of API processes that are gone (killed before their clean-up ran)."""
    for folder in base.glob(f"{_SNAPSHOT_PREFIX}*-*"):
        pid = folder.name[len(_SNAPSHOT_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class _Snapshot:
    path: Path
    signature: tuple[int, int, int]
    conn: Any
    users: int = 0
    retired: bool = False


class IncompleteWarehouse(Exception):
    """The file opened but lacks a mart or a column the API reads: an older or failed build."""


class DuckDBBackend:
    name = "duckdb"

    def __init__(self, warehouse_path: Path, schema: str = "marts", snapshot_dir: Path | None = None) -> None:
        self.warehouse_path = Path(warehouse_path)
        self.marts = f"{_ATTACHED}.{schema}"
        # The signature of a copy found incomplete: not copied again until the file changes.
        self._incomplete: tuple[int, int, int] | None = None
        self._own_dir = snapshot_dir is None
        if snapshot_dir is None:
            remove_stale_snapshots(Path(tempfile.gettempdir()))
        self._dir = snapshot_dir or Path(tempfile.mkdtemp(prefix=f"{_SNAPSHOT_PREFIX}{os.getpid()}-"))
        self._current: _Snapshot | None = None
        # Guards the current snapshot and the user counts; held only briefly (and during a swap).
        self._lock = threading.Lock()
        self._generation = 0
        self._pinned: ContextVar[list[_Snapshot] | None] = ContextVar(f"snapshot-{id(self)}", default=None)
        remember_that_pandas_is_missing()
        atexit.register(self.close)

    def query(self, sql: str, params: Sequence[Param]) -> list[Row]:
        import duckdb

        deadline.check()
        pin = self._pinned.get()
        if pin is not None and not pin:
            # The request's first query takes its snapshot; the others read the same one.
            pin.append(self._acquire())
        snapshot = pin[0] if pin else self._acquire()
        try:
            return run_query(snapshot.conn, sql.replace("{marts}", self.marts), params)
        except (duckdb.CatalogException, duckdb.BinderException) as exc:
            # A warehouse built by an older or failed build lacks a mart: not the client's fault.
            logger.warning("warehouse lacks a mart", extra={"error": str(exc)})
            raise BackendUnavailable(_INCOMPLETE, retry_after=30) from None
        finally:
            if not pin:
                self._release(snapshot)

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Every query of the enclosed request reads one snapshot (the one its first query took):
        a build that lands meanwhile is seen by the next request, never by half of this one."""
        pin: list[_Snapshot] = []
        token = self._pinned.set(pin)
        try:
            yield
        finally:
            self._pinned.reset(token)
            for snapshot in pin:
                self._release(snapshot)

    def prepare(self) -> None:
        """Take the first snapshot now (server start) so the first request does not wait for the copy."""
        try:
            self._release(self._acquire())
        except BackendUnavailable as exc:
            logger.warning("no warehouse snapshot yet", extra={"reason": exc.message})

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._retire(self._current)
                self._current = None
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def _acquire(self) -> _Snapshot:
        signature = _signature(self.warehouse_path)
        with self._lock:
            current = self._current
            if current is None or (signature is not None and signature != current.signature):
                current = self._refresh(signature)
            current.users += 1
            return current

    def _release(self, snapshot: _Snapshot) -> None:
        with self._lock:
            snapshot.users -= 1
            if snapshot.retired and snapshot.users == 0:
                self._dispose(snapshot)

    def _refresh(self, signature: tuple[int, int, int] | None) -> _Snapshot:
        """Swap in a snapshot of the file when safe, else keep the old one (caller holds _lock)."""
        current = self._current
        if signature is None:
            if current is not None:
                return current
            raise BackendUnavailable(
                f"the warehouse {self.warehouse_path} does not exist yet: run `make build`", retry_after=30
            )
        if signature == self._incomplete:
            if current is not None:
                return current
            raise BackendUnavailable(_INCOMPLETE, retry_after=30)
        if writer_holds_lock(self.warehouse_path):
            if current is not None:
                return current
            raise BackendUnavailable("the warehouse is being rebuilt; try again shortly", retry_after=5)
        try:
            fresh = self._copy(signature)
        except IncompleteWarehouse as exc:
            # Keep answering from the last complete snapshot, if there is one.
            logger.warning("warehouse snapshot is incomplete", extra={"error": str(exc)})
            self._incomplete = signature
            if current is not None:
                return current
            raise BackendUnavailable(_INCOMPLETE, retry_after=30) from None
        if fresh is None:
            if current is not None:
                return current
            raise BackendUnavailable(
                "the warehouse changed while it was read; try again shortly", retry_after=2
            )
        self._current = fresh
        if current is not None:
            self._retire(current)
        logger.info("serving a new warehouse snapshot", extra={"snapshot": str(fresh.path)})
        return fresh

    def _copy(self, signature: tuple[int, int, int]) -> _Snapshot | None:
        import duckdb

        self._generation += 1
        target = self._dir / f"warehouse-{self._generation}.duckdb"
        shutil.copyfile(self.warehouse_path, target)
        # A write that landed during the copy changes the signature; an open writer shows a lock.
        if _signature(self.warehouse_path) != signature or writer_holds_lock(self.warehouse_path):
            target.unlink(missing_ok=True)
            return None
        conn = duckdb.connect(":memory:")
        try:
            path = str(target).replace("'", "''")
            conn.execute(f"ATTACH '{path}' AS {_ATTACHED} (READ_ONLY)")
        except duckdb.Error as exc:
            conn.close()
            target.unlink(missing_ok=True)
            logger.warning("warehouse snapshot did not open", extra={"error": str(exc)})
            return None
        try:
            for name in CONTINUATIONS:
                conn.execute(continuation_sql(name).replace("{marts}", self.marts) + " LIMIT 0")
        except (duckdb.CatalogException, duckdb.BinderException) as exc:
            conn.close()
            target.unlink(missing_ok=True)
            raise IncompleteWarehouse(str(exc)) from None
        return _Snapshot(path=target, signature=signature, conn=conn)

    def _retire(self, snapshot: _Snapshot) -> None:
        """Mark a snapshot replaced; the last request still using it closes it (caller holds _lock)."""
        snapshot.retired = True
        if snapshot.users == 0:
            self._dispose(snapshot)

    @staticmethod
    def _dispose(snapshot: _Snapshot) -> None:
        snapshot.conn.close()
        snapshot.path.unlink(missing_ok=True)
        Path(f"{snapshot.path}.wal").unlink(missing_ok=True)
