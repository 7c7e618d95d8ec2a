"""Helpers for the ingest suite: an in-memory sink, scripted CloudWatch pages and lake readers."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[1] / "events" / "ingest"


def load_event(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


class MemorySink:
    """A real Sink kept in a dict, so tests can read back every object and count the writes."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.puts: list[str] = []

    def put(self, key: str, body: bytes) -> None:
        self.objects[key] = body
        self.puts.append(key)

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def describe(self) -> str:
        return "memory"

    def data_keys(self, prefix: str = "raw/") -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def records(self, prefix: str = "raw/") -> list[dict[str, Any]]:
        return [rec for key in self.data_keys(prefix) for rec in ndjson(self.objects[key])]


class CrashingSink:
    """Wraps a sink and dies (like a Lambda timing out) after `fail_after` data objects."""

    def __init__(self, inner: Any, fail_after: int) -> None:
        self.inner = inner
        self.fail_after = fail_after
        self.data_puts = 0

    def put(self, key: str, body: bytes) -> None:
        if key.endswith(".json.gz"):
            if self.data_puts >= self.fail_after:
                raise RuntimeError("simulated crash while landing")
            self.data_puts += 1
        self.inner.put(key, body)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def describe(self) -> str:
        return f"crashing {self.inner.describe()}"


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def ndjson(body: bytes) -> list[dict[str, Any]]:
    # Split on "\n" only: str.splitlines would also split inside a string holding U+2028.
    return [json.loads(line) for line in gzip.decompress(body).decode().split("\n") if line]


def lake_records(root: Path, prefix: str = "raw/request_events") -> list[dict[str, Any]]:
    return [rec for path in sorted((root / prefix).rglob("*.json.gz")) for rec in ndjson(path.read_bytes())]


class ScriptedLogsClient:
    """Stands in for the logs client where moto cannot: empty pages that carry a token.

    Each call returns the next scripted page (or raises it, when it is an exception) and records
    the arguments it was called with, so tests can check the token was followed.
    """

    def __init__(self, pages: Iterable[dict[str, Any] | Exception], clock: FakeClock | None = None) -> None:
        self.pages = list(pages)
        self.calls: list[dict[str, Any]] = []
        self.call_times: list[float] = []
        self.clock = clock

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(dict(kwargs))
        if self.clock:
            self.call_times.append(self.clock.now)
        if not self.pages:
            raise AssertionError("more FilterLogEvents calls than scripted pages")
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page


# The region of every moto-backed ingest test.
AWS_REGION = "eu-west-2"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> str:
    """Dummy credentials and the region for moto, and no endpoint override; the region."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": AWS_REGION,
        "AWS_REGION": AWS_REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return AWS_REGION
