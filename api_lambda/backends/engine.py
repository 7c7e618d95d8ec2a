"""What both DuckDB backends share: the offline extension loading, one query under the request's
budget, and the import of pandas that DuckDB must not try on every query."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from api_lambda import deadline
from api_lambda.backends import Param, Row

# DuckDB's S3 access (httpfs) and its Iceberg reader (iceberg, which reads manifests with avro).
LAKE_EXTENSIONS = ("httpfs", "avro", "iceberg")


def remember_that_pandas_is_missing() -> None:
    """Make `import pandas` fail fast when pandas is not installed (the API never installs it).

    DuckDB's Python client tries `import pandas` for every parameter it binds and every query it
    runs, to recognise DataFrames. Without pandas each try is a failed import, and Python
    searches every sys.path entry again each time: about 1 ms of CPU for a query with a few
    parameters (measured), a large share of a small query's cost. A `None` in sys.modules is
    Python's own record of a module that cannot be imported: the tries then fail at once.
    """
    if "pandas" not in sys.modules and importlib.util.find_spec("pandas") is None:
        sys.modules["pandas"] = None  # type: ignore[assignment]


def extension_file(name: str, version: str) -> Path:
    """The extension binary inside its PyPI package (duckdb-extension-<name>), for DuckDB `version`.

    Bundled in the Lambda's zip for its architecture: loaded from this file, never downloaded.
    """
    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        raise RuntimeError(f"the DuckDB extension package duckdb-extension-{name} is not installed") from None
    path = (
        Path(str(module.__file__)).parent
        / "extensions"
        / f"v{version.lstrip('v')}"
        / f"{name}.duckdb_extension"
    )
    if not path.is_file():
        raise RuntimeError(f"duckdb-extension-{name} has no build for DuckDB {version} ({path})")
    return path


def connect_offline(extensions: Sequence[str], memory_mb: int | None = None) -> Any:
    """An in-memory DuckDB with `extensions` loaded from their packages; it never installs or
    auto-loads anything over the network (the Lambda has no route to DuckDB's repository)."""
    import duckdb

    config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if memory_mb is not None:
        config["memory_limit"] = f"{memory_mb}MB"
    conn = duckdb.connect(":memory:", config=config)
    for name in extensions:
        conn.execute(f"LOAD '{extension_file(name, duckdb.__version__)}'")
    return conn


def run_query(conn: Any, sql: str, params: Sequence[Param]) -> list[Row]:
    """Run `sql` on a cursor of `conn`; past the request's budget it is interrupted (DeadlineExceeded)."""
    import duckdb

    left = deadline.check()
    cursor = conn.cursor()
    # Past the request's budget the query is interrupted: nothing runs on for nobody.
    timer = threading.Timer(left, cursor.interrupt) if left is not None else None
    try:
        if timer is not None:
            timer.daemon = True
            timer.start()
        cursor.execute(sql, list(params))
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.InterruptException:
        raise deadline.DeadlineExceeded() from None
    finally:
        if timer is not None:
            timer.cancel()
        cursor.close()
