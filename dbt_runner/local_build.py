"""A local `dbt build` that commits as a whole: the served warehouse changes only when it succeeds.

The API serves the DuckDB file at WAREHOUSE_PATH. dbt writes each model into the file it is
given as it goes, so a build that fails, or is stopped with Ctrl-C, after some marts were
rebuilt would leave a warehouse whose marts disagree (new session totals beside old products).
This runs dbt on a copy beside the warehouse (`<warehouse>.building`, the same folder, so the
same file system) and, only when dbt exits 0, checkpoints it and renames it over the warehouse.
A rename is atomic: a reader opens the old file or the new one, never a mix. On any failure the
copy is removed and the warehouse is left exactly as it was.

    python -m dbt_runner.local_build [dbt build arguments ...]

Run from the repo root (as `make build` does). WAREHOUSE_PATH (default data/warehouse.duckdb)
names the warehouse; the rest of dbt's environment (LAKE_ROOT, ...) passes through unchanged.
The target is always `local`: Athena commits its own way.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dbt_runner.build import dbt_args

BUILDING_SUFFIX = ".building"
LOCK_SUFFIX = ".build-lock"
INTERRUPTED = 130


class BuildLocked(RuntimeError):
    """Another local build of the same warehouse is running."""


@dataclass(frozen=True)
class Paths:
    warehouse: Path
    building: Path
    lock: Path

    @classmethod
    def of(cls, warehouse: Path) -> Paths:
        return cls(
            warehouse=warehouse,
            building=warehouse.with_name(warehouse.name + BUILDING_SUFFIX),
            lock=warehouse.with_name(warehouse.name + LOCK_SUFFIX),
        )


def wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def remove_database(path: Path) -> None:
    path.unlink(missing_ok=True)
    wal(path).unlink(missing_ok=True)


def checkpoint(path: Path) -> None:
    """Fold a DuckDB file's write-ahead log into the file, so the file alone holds every commit.

    Only needed when a WAL is there (a process that died before closing the database).
    """
    if not wal(path).exists():
        return
    import duckdb

    conn = duckdb.connect(str(path))
    try:
        conn.execute("checkpoint")
    finally:
        conn.close()


@contextmanager
def exclusive(lock_path: Path):  # noqa: ANN201 - a context manager
    """Hold the build lock of one warehouse, or raise BuildLocked at once."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(
                f"another build of {lock_path.name.removesuffix(LOCK_SUFFIX)} is running; "
                "wait for it or stop it first"
            ) from None
        yield
    finally:
        handle.close()


def prepare(paths: Paths) -> None:
    """Start the building copy from the committed warehouse (incremental runs need its state)."""
    remove_database(paths.building)  # left by a build that was killed outright
    if paths.warehouse.exists():
        checkpoint(paths.warehouse)
        shutil.copyfile(paths.warehouse, paths.building)


def commit(paths: Paths) -> None:
    """Make the finished copy the warehouse, in one rename (a Ctrl-C now waits until it is done)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        checkpoint(paths.building)
        # A WAL left beside the old file would be replayed into the new one on its next open.
        wal(paths.warehouse).unlink(missing_ok=True)
        os.replace(paths.building, paths.warehouse)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def run_dbt(command: Sequence[str], env: dict[str, str], out: IO[str]) -> int:
    """Run dbt, echoing its output; on Ctrl-C wait for dbt to stop (it got the signal too)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            out.flush()
        return proc.wait()
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the whole process group; make sure dbt gets it when it did not.
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.wait()
        return INTERRUPTED


def build(
    warehouse: Path,
    dbt_command: Sequence[str],
    env: dict[str, str],
    out: IO[str] = sys.stdout,
    runner: Callable[[Sequence[str], dict[str, str], IO[str]], int] = run_dbt,
) -> int:
    """Run `dbt_command` on a copy of `warehouse` and commit it on success; dbt's exit code."""
    paths = Paths.of(warehouse)
    with exclusive(paths.lock):
        prepare(paths)
        out.write(f"==> building into {paths.building} ({warehouse} is served unchanged until it succeeds)\n")
        out.flush()
        code = INTERRUPTED
        try:
            code = runner(dbt_command, {**env, "WAREHOUSE_PATH": str(paths.building)}, out)
        finally:
            if code == 0:
                commit(paths)
                out.write(f"==> committed: {warehouse} now holds this build\n")
            else:
                remove_database(paths.building)
                why = "interrupted" if code == INTERRUPTED else f"dbt exited {code}"
                out.write(f"==> {why}: {warehouse} is unchanged (the previous build is still served)\n")
            out.flush()
    return code


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    warehouse = Path(os.environ.get("WAREHOUSE_PATH", "data/warehouse.duckdb"))
    # From the repo root, as `make build` runs it; the local (DuckDB) target only.
    project, profiles, target = Path("dbt_project"), Path("."), "local"
    # `kill` (SIGTERM) stops a build as Ctrl-C does: the copy is removed, the warehouse kept.
    signal.signal(signal.SIGTERM, _interrupt)
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [dbt, *dbt_args(["build", *args], project, profiles, target)]
    try:
        return build(warehouse, command, dict(os.environ))
    except BuildLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
