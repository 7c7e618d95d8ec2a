"""Where lines come from: CloudWatch Logs (production) or local `*.log` files (demo, tests, backfills).

Both yield `Batch`es: one unit of landing with deterministic object names and its own clock.
`commit` is called only after every object of a batch is written; that is when state advances.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

from ingest_lambda.checkpoint import (
    Checkpoint,
    iso,
    load_checkpoint,
    load_file_state,
    save_checkpoint,
    save_file_state,
)
from ingest_lambda.parse import as_bytes
from ingest_lambda.settings import Settings
from ingest_lambda.sinks import Sink

# (message, time the log platform received it as naive UTC or None for the batch's, stream, event id).
Event = tuple[str | bytes, datetime | None, str, str]

_EPOCH = datetime(1970, 1, 1)
_quote = json.encoder.encode_basestring
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
    }
)


@dataclass
class Block:
    """Messages as a source read them: one per line of `text`, with what names each in the lake.

    A file's block is its content as it is, undecoded (the parser checks UTF-8), so a line's number
    is its line number in the file; every line is a message read, but an empty one after the
    file's last newline. A CloudWatch block is a page of events joined by newlines; each
    event has its own stream, id and the time CloudWatch received it, and a message that itself
    holds a newline is kept whole in `originals` (its line in `text` has the newlines replaced by a
    byte the fast path never takes, so the reference path gets it, from `originals`).
    """

    text: bytes
    log_stream: str = ""  # the stream of every line (a file's name), unless `log_streams` is given
    log_streams: list[str] | None = None  # by line number - 1
    event_ids: list[str] | None = None  # by line number - 1; None: `<log stream>:<line number>`
    received: list[datetime | None] | None = None  # by line number - 1, naive UTC; None: the batch's
    originals: dict[int, bytes] = field(default_factory=dict)  # by line number

    @classmethod
    def of_file(cls, name: str, content: bytes) -> Block:
        return cls(content, log_stream=name)

    @classmethod
    def of_events(cls, events: Iterable[Event]) -> Block:
        messages, received, streams, ids = [], [], [], []
        originals: dict[int, bytes] = {}
        for number, (message, when, stream, event_id) in enumerate(events, 1):
            data = as_bytes(message)
            if b"\n" in data:
                originals[number] = data
                data = data.replace(b"\n", b"\xff")
            messages.append(data)
            received.append(when)
            streams.append(stream)
            ids.append(event_id)
        return cls(b"\n".join(messages), "", streams, ids, received, originals)

    def record_tails(self, head: str) -> tuple[bytes, list[bytes] | None]:
        """How each line's raw record ends: `head` (the batch's `ingested_at` and `log_group`), its
        `log_stream` and `event_id`, the closing brace and the newline. Either a format taking the
        line number (a file's lines) or a list by line number (CloudWatch events)."""
        if self.event_ids is None:
            stream = _quote(self.log_stream)
            # The line number is filled in with `%d`, so a `%` in a name is doubled first.
            start = f'{head},"log_stream":{stream},"event_id":{stream[:-1]}:'.encode().replace(b"%", b"%%")
            return start + b'%d"}\n', None
        streams = self.log_streams or [self.log_stream] * len(self.event_ids)
        tails = [b""]  # line numbers count from 1
        tails += (
            f'{head},"log_stream":{_quote(stream)},"event_id":{_quote(event_id)}}}\n'.encode()
            for stream, event_id in zip(streams, self.event_ids, strict=True)
        )
        return b"", tails


@dataclass
class Batch:
    """One unit of landing: its messages, its object-name stem and the clock its records carry."""

    source: str
    stem: str
    log_group: str
    ingested_at: datetime
    received: datetime | None
    blocks: Iterable[Block]
    window_start: datetime | None = None
    window_end: datetime | None = None
    caught_up: bool = True
    info: dict[str, Any] = field(default_factory=dict)


class Source(Protocol):
    def batches(self, now: datetime) -> Iterator[Batch]:
        """The batches to land now, lazily (a batch's lines are read while it is landed)."""
        ...

    def commit(self, batch: Batch, keys: list[str]) -> None:
        """Record that every object of `batch` is written."""
        ...


def short_hash(*parts: str, length: int = 10) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


def naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------ CloudWatch


class RateLimiter:
    """Spaces calls at least 1/tps seconds apart (FilterLogEvents allows 5 TPS per account)."""

    def __init__(
        self, tps: float, sleep: Callable[[float], None], monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = 1.0 / tps
        self.sleep = sleep
        self.monotonic = monotonic
        self._next = 0.0

    def wait(self) -> None:
        now = self.monotonic()
        if self._next > now:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


class CloudWatchSource:
    """FilterLogEvents over each configured log group, one checkpointed window per group and run."""

    max_attempts = 8
    min_seconds_for_window = 60.0
    backoff_base_seconds = 0.2
    backoff_cap_seconds = 10.0

    def __init__(
        self,
        client: Any,
        sink: Sink,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        seconds_left: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        # The Lambda's remaining time: a log group's window is not started with less than
        # `min_seconds_for_window` left, so one run never dies half way for lack of time.
        self.seconds_left = seconds_left
        self.deferred: list[str] = []
        self.sink = sink
        self.settings = settings
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.limiter = RateLimiter(settings.cloudwatch_max_tps, sleep, monotonic)
        self.calls = 0
        self.retries = 0
        # Seconds each log group's checkpoint is behind now, also for groups with nothing new.
        self.lag_seconds: dict[str, float] = {}
        self.now = datetime.now(UTC)

    def window_for(self, checkpoint: Checkpoint, now: datetime) -> tuple[datetime, datetime, bool] | None:
        """(start, end, caught_up) of the next window, or None when there is nothing new to read."""
        s = self.settings
        if checkpoint.pending:
            start, end = checkpoint.pending
            return start, end, end >= now - timedelta(minutes=s.settle_lag_minutes)
        position = checkpoint.position or now - timedelta(minutes=s.initial_lookback_minutes)
        start = position - timedelta(minutes=s.overlap_minutes)
        limit = now - timedelta(minutes=s.settle_lag_minutes)
        end = min(limit, start + timedelta(minutes=s.max_window_minutes))
        if end <= position:
            return None
        return start, end, end >= limit

    def batches(self, now: datetime) -> Iterator[Batch]:
        now = now.astimezone(UTC).replace(microsecond=0)
        self.now = now
        for group in self.settings.log_group_names:
            if self.seconds_left is not None and self.seconds_left() < self.min_seconds_for_window:
                self.deferred.append(group)
                continue
            checkpoint = load_checkpoint(self.sink, group)
            window = self.window_for(checkpoint, now)
            if window is None:
                if checkpoint.position is not None:
                    self.lag_seconds[group] = (now - checkpoint.position).total_seconds()
                continue
            start, end, caught_up = window
            replay = checkpoint.pending is not None
            # Written before any object so a crash leaves the window to be landed again as it was.
            save_checkpoint(self.sink, Checkpoint(group, checkpoint.position, (start, end)), now)
            yield Batch(
                source="cloudwatch",
                stem=f"cw-{end:%Y%m%dT%H%M%SZ}-{short_hash(group, iso(start), iso(end))}",
                log_group=group,
                ingested_at=end,
                received=None,
                blocks=self.blocks(group, start, end),
                window_start=start,
                window_end=end,
                caught_up=caught_up,
                info={"replay": replay, "previous_position": checkpoint.position},
            )

    def commit(self, batch: Batch, keys: list[str]) -> None:
        assert batch.window_end is not None
        self.lag_seconds[batch.log_group] = (self.now - batch.window_end).total_seconds()
        save_checkpoint(self.sink, Checkpoint(batch.log_group, batch.window_end, None), batch.window_end)

    def blocks(self, group: str, start: datetime, end: datetime) -> Iterator[Block]:
        """Every event of the window, a block per page, following nextToken through empty pages."""
        kwargs: dict[str, Any] = {
            "logGroupName": group,
            "startTime": int(start.timestamp() * 1000),
            "endTime": int(end.timestamp() * 1000) - 1,
            "filterPattern": self.settings.filter_pattern,
        }
        epoch = _EPOCH
        ms = timedelta(milliseconds=1)
        while True:
            page = self.call(kwargs)
            events = page.get("events", ())
            if events:
                yield Block.of_events(
                    (
                        e["message"],
                        epoch + e.get("ingestionTime", e["timestamp"]) * ms,
                        e.get("logStreamName", ""),
                        e.get("eventId", ""),
                    )
                    for e in events
                )
            token = page.get("nextToken")
            if not token:
                return
            kwargs["nextToken"] = token

    def call(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One FilterLogEvents call, rate limited, retried with exponential backoff and full jitter."""
        for attempt in range(self.max_attempts):
            self.limiter.wait()
            self.calls += 1
            try:
                return self.client.filter_log_events(**kwargs)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if error.get("Code") not in RETRYABLE_CODES and status < 500:
                    raise
                if attempt == self.max_attempts - 1:
                    raise
            except (ConnectionError, ReadTimeoutError):
                if attempt == self.max_attempts - 1:
                    raise
            self.retries += 1
            cap = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2**attempt)
            self.sleep(self.rng.uniform(0, cap))
        raise AssertionError("unreachable")  # pragma: no cover


# ------------------------------------------------------------------------------------------ local files


def delivery_time(name: str, now: datetime) -> datetime:
    """When the log platform received a file's lines: the end of the UTC date in its name, else now."""
    match = _DATE_IN_NAME.search(name)
    if match:
        try:
            day = datetime(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return naive_utc(now)
        return day + timedelta(days=1)
    return naive_utc(now)


class LocalFileSource:
    """Every `*.log` file of a directory (sorted); a file already landed with the same content is skipped."""

    def __init__(self, directory: str | Path, sink: Sink, *, force: bool = False) -> None:
        self.directory = Path(directory)
        self.sink = sink
        self.force = force
        self.unchanged: list[str] = []
        self._state: dict[str, dict[str, Any]] | None = None

    def files(self) -> list[Path]:
        return sorted(p for p in self.directory.glob("*.log") if p.is_file())

    def batches(self, now: datetime) -> Iterator[Batch]:
        now = now.astimezone(UTC)
        self._state = load_file_state(self.sink)
        for path in self.files():
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            name = path.name
            if not self.force and self._state.get(name, {}).get("sha256") == digest:
                self.unchanged.append(name)
                continue
            stem_name = _SAFE.sub("_", path.stem)[:80]
            yield Batch(
                source="file",
                stem=f"file-{stem_name}-{digest[:12]}",
                log_group=f"file:{name}",
                ingested_at=now,
                received=delivery_time(name, now),
                blocks=[Block.of_file(name, content)],
                info={"file": name, "sha256": digest},
            )

    def commit(self, batch: Batch, keys: list[str]) -> None:
        assert self._state is not None
        self._state[batch.info["file"]] = {
            "sha256": batch.info["sha256"],
            "ingested_at": iso(batch.ingested_at),
            "objects": sorted(keys),
        }
        save_file_state(self.sink, dict(sorted(self._state.items())))
