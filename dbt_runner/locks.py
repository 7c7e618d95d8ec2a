"""Thread locks for dbt where the platform has no POSIX semaphores (AWS Lambda: no /dev/shm).

Creating a `multiprocessing` lock there fails with OSError 38 (ENOSYS). dbt-core 1.11 takes three
kinds of them, all in one process (dbt runs its nodes on threads, never in child processes):

- `mp_context.RLock()` in every adapter's connection manager (dbt.adapters.base.connections);
- `get_mp_context().Lock()` for the manifest (dbt.contracts.graph.manifest), a bound method taken
  when that module is imported;
- `multiprocessing.pool.ThreadPool`, whose `Pool.__init__` builds `SimpleQueue()` from the default
  context, and that queue takes `ctx.Lock()`.

Every one of them ends in `BaseContext.Lock`/`RLock`/..., which import their class from
`multiprocessing.synchronize` at call time. Replacing those classes there (before or after dbt
is imported) therefore covers every context and every lock dbt or the pool creates. Thread locks
are exactly as strong as needed for threads in one process.
"""

from __future__ import annotations

import errno
import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

# multiprocessing.synchronize name -> the threading class that does the same within one process.
_THREAD_EQUIVALENTS: dict[str, Callable[..., Any]] = {
    "Lock": threading.Lock,
    "RLock": threading.RLock,
    "Semaphore": threading.Semaphore,
    "BoundedSemaphore": threading.BoundedSemaphore,
    "Condition": threading.Condition,
    "Event": threading.Event,
}


def semaphores_work() -> bool:
    """Whether this platform can create a POSIX semaphore (a multiprocessing lock)."""
    try:
        multiprocessing.get_context("spawn").Lock()
    except OSError as error:
        if error.errno in (errno.ENOSYS, errno.ENOENT, errno.EACCES, errno.EPERM, errno.ENOSPC):
            return False
        raise
    return True


def _thread_factory(make: Callable[..., Any]) -> Callable[..., Any]:
    def factory(*args: Any, ctx: Any = None, **kwargs: Any) -> Any:  # multiprocessing passes ctx=
        return make(*args, **kwargs)

    factory.__name__ = f"thread_{make.__name__}"
    return factory


def use_thread_locks() -> list[str]:
    """Make every multiprocessing context hand out thread locks; return the names replaced."""
    import multiprocessing.synchronize as synchronize

    replaced = []
    for name, make in _THREAD_EQUIVALENTS.items():
        current = getattr(synchronize, name)
        if getattr(current, "__name__", "").startswith("thread_"):
            continue
        setattr(synchronize, name, _thread_factory(make))
        replaced.append(name)
    return replaced


def use_thread_locks_if_needed() -> bool:
    """Patch only where semaphores are missing; return whether it did."""
    if semaphores_work():
        return False
    use_thread_locks()
    return True
