"""Where lines come from: CloudWatch Logs (production) or local `*.log` files (demo, tests, backfills).

Both yield `Batch`es: one unit of landing with deterministic object names and its own clock.
`commit` is called only after every object of a batch is written; that is when state advances.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
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


class IngestLag:
    """`ingestionTime - timestamp` over the events a run read: how late CloudWatch received them."""

    def __init__(self) -> None:
        self.events = 0
        self.max_ms = 0

    def add(self, lag_ms: int) -> None:
        self.events += 1
        if lag_ms > self.max_ms:
            self.max_ms = lag_ms

    @property
    def max_seconds(self) -> float | None:
        return self.max_ms / 1000 if self.events else None


def _expired_token(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    message = str(error.get("Message", "")).lower()
    return error.get("Code") == "InvalidParameterException" and "token" in message


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
    """FilterLogEvents over each configured log group: the poller, for backfill and replay.

    Each log group moves forward window by window (at most MAX_WINDOW_MINUTES each, overlapping the
    previous one by OVERLAP_MINUTES), each window committed when landed, until it is caught up or
    the run's time is short. A window that cannot finish in the time left is split at a page: the
    pages read so far land as one segment, and the next run resumes from the saved page token with
    the next segment, so no window is ever read again from its start because it was too long.
    """

    max_attempts = 8
    # A window (or the next segment of one) is not started with less than this left...
    min_seconds_for_window = 60.0
    # ...and no further page is read with less than this left: what remains is closing the parts
    # (at most PART_MAX_BYTES to compress and put) and saving the checkpoint.
    min_seconds_for_page = 30.0
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
        # The Lambda's remaining time (None: unbounded, as in a local replay).
        self.seconds_left = seconds_left
        self.deferred: list[str] = []
        self.sink = sink
        self.settings = settings
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.limiter = RateLimiter(settings.cloudwatch_max_tps, sleep, monotonic)
        self.calls = 0
        self.retries = 0
        self.segments_cut = 0  # windows split for lack of time in this run
        self.tokens_expired = 0  # saved page tokens CloudWatch no longer accepted (window read again)
        # The most times one pending position was started without being landed (crash loops).
        self.max_replays = 0
        # Seconds each log group's checkpoint is behind now, also for groups with nothing new.
        self.lag_seconds: dict[str, float] = {}
        self.lag = IngestLag()
        self.now = datetime.now(UTC)

    def time_left(self) -> float:
        return float("inf") if self.seconds_left is None else self.seconds_left()

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
            while True:
                if self.time_left() < self.min_seconds_for_window:
                    self.deferred.append(group)
                    break
                checkpoint = load_checkpoint(self.sink, group)
                window = self.window_for(checkpoint, now)
                if window is None:
                    if checkpoint.position is not None:
                        self.lag_seconds[group] = (now - checkpoint.position).total_seconds()
                    break
                start, end, caught_up = window
                attempts = checkpoint.attempts + 1 if checkpoint.pending else 0
                self.max_replays = max(self.max_replays, attempts)
                # Written before any object so a crash leaves the segment to be landed again as it was.
                started = replace(checkpoint, pending=(start, end), attempts=attempts)
                save_checkpoint(self.sink, started, now)
                segment = checkpoint.segment
                stem = f"cw-{end:%Y%m%dT%H%M%SZ}-{short_hash(group, iso(start), iso(end))}"
                info: dict[str, Any] = {
                    "replay": attempts > 0,
                    "previous_position": checkpoint.position,
                    "segment": segment,
                    "next_token": None,
                }
                yield Batch(
                    source="cloudwatch",
                    # Segment 0 keeps the window's own name; later segments of a split window add theirs.
                    stem=f"{stem}-s{segment:03d}" if segment else stem,
                    log_group=group,
                    ingested_at=end,
                    received=None,
                    blocks=self.blocks(group, start, end, checkpoint.token, info),
                    window_start=start,
                    window_end=end,
                    caught_up=caught_up,
                    info=info,
                )
                if info["next_token"] is not None:
                    break  # split for lack of time: the rest is the next run's

    def commit(self, batch: Batch, keys: list[str]) -> None:
        assert batch.window_start is not None
        assert batch.window_end is not None
        token = batch.info["next_token"]
        if token is not None:
            # The window was split: its pages so far are landed; the next run resumes at `token`.
            batch.caught_up = False
            previous = batch.info["previous_position"]
            window = (batch.window_start, batch.window_end)
            checkpoint = Checkpoint(batch.log_group, previous, window, token, batch.info["segment"] + 1)
            save_checkpoint(self.sink, checkpoint, self.now)
            if previous is not None:
                self.lag_seconds[batch.log_group] = (self.now - previous).total_seconds()
            return
        self.lag_seconds[batch.log_group] = (self.now - batch.window_end).total_seconds()
        save_checkpoint(self.sink, Checkpoint(batch.log_group, batch.window_end, None), batch.window_end)

    def blocks(
        self, group: str, start: datetime, end: datetime, token: str | None, info: dict[str, Any]
    ) -> Iterator[Block]:
        """The events of the window from page `token` on, a block per page, following nextToken
        through empty pages; stops at a page boundary (its token in `info["next_token"]`) when the
        run's time is short. The first page is always read, so every segment moves forward."""
        kwargs: dict[str, Any] = {
            "logGroupName": group,
            "startTime": int(start.timestamp() * 1000),
            "endTime": int(end.timestamp() * 1000) - 1,
            "filterPattern": self.settings.filter_pattern,
        }
        if token:
            kwargs["nextToken"] = token
        epoch = _EPOCH
        ms = timedelta(milliseconds=1)
        lag = self.lag
        first = True
        while True:
            if not first and self.time_left() < self.min_seconds_for_page:
                info["next_token"] = kwargs["nextToken"]
                self.segments_cut += 1
                return
            try:
                page = self.call(kwargs)
            except ClientError as exc:
                if not (first and token and _expired_token(exc)):
                    raise
                # Page tokens live about a day: past that, the window is read from its start again,
                # in this segment's new names (the records read twice are deduplicated by staging).
                self.tokens_expired += 1
                token = None
                del kwargs["nextToken"]
                continue
            first = False
            events = page.get("events", ())
            if events:
                for e in events:
                    lag.add(e.get("ingestionTime", e["timestamp"]) - e["timestamp"])
                yield Block.of_events(
                    (
                        e["message"],
                        epoch + e.get("ingestionTime", e["timestamp"]) * ms,
                        e.get("logStreamName", ""),
                        e.get("eventId", ""),
                    )
                    for e in events
                )
            next_token = page.get("nextToken")
            if not next_token:
                return
            kwargs["nextToken"] = next_token

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


# ------------------------------------------------------------------------------------------ subscription


class SubscriptionError(ValueError):
    """An invocation that is not a CloudWatch Logs subscription delivery the ingest can read."""


def decode_subscription(event: dict[str, Any]) -> dict[str, Any]:
    """The payload of a CloudWatch Logs subscription delivery: `awslogs.data` is base64 of gzip JSON."""
    try:
        data = event["awslogs"]["data"]
        payload = json.loads(gzip.decompress(base64.b64decode(data, validate=True)))
    except (KeyError, TypeError, ValueError, EOFError, OSError) as exc:  # binascii.Error is a ValueError
        raise SubscriptionError(f"not a CloudWatch Logs subscription event: {exc}") from exc
    if not isinstance(payload, dict) or "messageType" not in payload:
        raise SubscriptionError("subscription payload without messageType")
    return payload


class SubscriptionSource:
    """One subscription delivery: the events CloudWatch Logs just ingested, whatever their timestamp.

    CloudWatch hands the subscription each event as it ingests it, so an event that arrives hours
    after its own timestamp is delivered like any other. The delivery has no `ingestionTime`: the
    invocation's clock stands for it (it can only be later), for validation and for the lag metric.
    The object names derive from the delivery's log group, stream and event ids, so a retried
    delivery overwrites its own objects on the same day (on another day the copies are deduplicated
    by staging, like the poller's overlap).
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.lag = IngestLag()
        self.control = payload.get("messageType") != "DATA_MESSAGE"

    def batches(self, now: datetime) -> Iterator[Batch]:
        if self.control:
            return  # CONTROL_MESSAGE: CloudWatch checking that the destination is reachable
        group = str(self.payload.get("logGroup", ""))
        stream = str(self.payload.get("logStream", ""))
        events = self.payload.get("logEvents") or []
        if not events:
            return
        received = naive_utc(now)
        now_ms = int(now.timestamp() * 1000)
        ids = [str(e.get("id", "")) for e in events]
        for e in events:
            self.lag.add(now_ms - int(e.get("timestamp", now_ms)))
        messages = (e.get("message", "") for e in events)
        block = Block.of_events((m, received, stream, i) for m, i in zip(messages, ids, strict=True))
        yield Batch(
            source="subscription",
            stem=f"sub-{short_hash(group, stream, *ids, length=16)}",
            log_group=group,
            ingested_at=now,
            received=received,
            blocks=[block],
            info={"events": len(events)},
        )

    def commit(self, batch: Batch, keys: list[str]) -> None:
        """Nothing to record: a delivery is its own unit, retried by Lambda as it was."""


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


GZIP_MAGIC = b"\x1f\x8b"
LOG_PATTERNS = ("*.log", "*.log.gz")


def read_log_file(path: Path) -> bytes:
    """A log file's lines: gzip content (by its magic bytes, whatever the name) is decompressed.
    Raises OSError, EOFError or zlib.error for a file that cannot be read whole."""
    content = path.read_bytes()
    if content[:2] == GZIP_MAGIC:
        return gzip.decompress(content)
    return content


class LocalFileSource:
    """Every `*.log` and `*.log.gz` file of a directory (sorted by name); gzip content is read under
    any of those names. A file already landed with the same content is skipped; a file that cannot
    be read (a truncated or corrupt gzip) is rejected, named in `rejected`, and the others land."""

    def __init__(self, directory: str | Path, sink: Sink, *, force: bool = False) -> None:
        self.directory = Path(directory)
        self.sink = sink
        self.force = force
        self.unchanged: list[str] = []
        self.rejected: dict[str, str] = {}  # file name -> why it could not be read
        self._state: dict[str, dict[str, Any]] | None = None

    def files(self) -> list[Path]:
        paths = {p for pattern in LOG_PATTERNS for p in self.directory.glob(pattern) if p.is_file()}
        return sorted(paths, key=lambda p: p.name)

    def not_read(self) -> list[str]:
        """Files that look like logs but match no pattern (rotated `x.log.1`, `x.gz`): named, not read."""
        read = {p.name for p in self.files()}
        return sorted(
            p.name
            for p in self.directory.iterdir()
            if p.is_file() and p.name not in read and (".log." in p.name or p.name.endswith(".gz"))
        )

    def batches(self, now: datetime) -> Iterator[Batch]:
        now = now.astimezone(UTC)
        self._state = load_file_state(self.sink)
        for path in self.files():
            name = path.name
            try:
                content = read_log_file(path)
            except (OSError, EOFError, zlib.error) as exc:
                self.rejected[name] = f"{type(exc).__name__}: {exc}"
                continue
            digest = hashlib.sha256(content).hexdigest()
            if not self.force and self._state.get(name, {}).get("sha256") == digest:
                self.unchanged.append(name)
                continue
            stem_name = _SAFE.sub("_", name.removesuffix(".gz").removesuffix(".log"))[:80]
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
