"""One time budget per request, shared by all of its queries.

API Gateway gives up on a Lambda integration after 29 s. A route may run several queries, so
each query gets what is left of the request's budget, not a fresh timeout of its own: past the
budget the request answers 503 with `Retry-After`, and the running query is stopped (DuckDB's
interrupt) so nothing keeps working for an answer nobody reads.
The budget lives in a context variable, set by `Api.handle` for the request it handles (each
request runs on its own thread locally, one at a time in a Lambda).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from api_lambda.errors import BackendUnavailable


@dataclass(frozen=True)
class _Budget:
    seconds: float
    ends_at: float  # time.monotonic()


_current: ContextVar[_Budget | None] = ContextVar("request_budget", default=None)


class DeadlineExceeded(BackendUnavailable):
    """The request used up its time budget: a 503 the client may retry."""

    def __init__(self) -> None:
        current = _current.get()
        seconds = current.seconds if current is not None else 0.0
        super().__init__(
            f"the request did not finish within its {seconds:g} s budget; try again shortly",
            retry_after=max(1, round(seconds / 4)),
        )


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Run the enclosed request with `seconds` of time budget."""
    token = _current.set(_Budget(seconds, time.monotonic() + seconds))
    try:
        yield
    finally:
        _current.reset(token)


def remaining() -> float | None:
    """Seconds left in the current request's budget (None outside a request: no limit)."""
    current = _current.get()
    return None if current is None else current.ends_at - time.monotonic()


def check() -> float | None:
    """What `remaining()` returns, or DeadlineExceeded when nothing is left."""
    left = remaining()
    if left is not None and left <= 0:
        raise DeadlineExceeded()
    return left
