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


class FailingSink(MemorySink):
    """Dies (like a Lambda timing out) after `fail_after` data objects, leaving the ones before it."""

    def __init__(self, fail_after: int, backing: MemorySink | None = None) -> None:
        super().__init__()
        self.fail_after = fail_after
        self.backing = backing
        self.data_puts = 0

    def put(self, key: str, body: bytes) -> None:
        if key.endswith(".json.gz"):
            if self.data_puts >= self.fail_after:
                raise RuntimeError("simulated crash while landing")
            self.data_puts += 1
        super().put(key, body)


def ndjson(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]


def lake_records(root: Path, prefix: str = "raw/request_events") -> list[dict[str, Any]]:
    return [rec for path in sorted((root / prefix).rglob("*.json.gz")) for rec in ndjson(path.read_bytes())]


class ScriptedLogsClient:
    """Stands in for the logs client where moto cannot: empty pages that carry a token.

    Each call returns the next scripted page (or raises it, when it is an exception) and records
    the arguments it was called with, so tests can check the token was followed.
    """

    def __init__(self, pages: Iterable[dict[str, Any] | Exception]) -> None:
        self.pages = list(pages)
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(dict(kwargs))
        if not self.pages:
            raise AssertionError("more FilterLogEvents calls than scripted pages")
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page


@pytest.fixture
def memory_sink() -> MemorySink:
    return MemorySink()
