"""The orchestration: batches from a source -> parse and validate -> landing parts -> commit."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

from ingest_lambda.canonical import (
    CANONICAL_FIRST_LINE,
    CANONICAL_LINES,
    MICROS_Z,
    Z,
    utc_millis,
    window_text,
)
from ingest_lambda.landing import QUARANTINE_PREFIX, RAW_PREFIX, PartWriter
from ingest_lambda.parse import (
    LAND,
    MARKER_BYTES,
    QUARANTINE,
    has_marker,
    parse_message,
    raw_text,
)
from ingest_lambda.settings import Settings
from ingest_lambda.sinks import Sink
from ingest_lambda.sources import Batch, Block, Source, naive_utc
from ingest_lambda.validate import Bounds, reason_code, utc_text

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_quote = json.encoder.encode_basestring
# Records handed to the part writer at a time, as one block: about 250 kB, so that the pieces, their
# join and the block stay in the CPU's cache (4096 measured about 10% slower).
_STEP = 512
BACKSLASH = b"\\"


@dataclass
class BatchResult:
    source: str
    stem: str
    log_group: str
    ingest_date: str
    read: int = 0
    landed: int = 0
    skipped: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    keys: list[str] = field(default_factory=list)
    window_start: datetime | None = None
    window_end: datetime | None = None
    fast: int = 0  # lines landed by the regex of canonical.py, without a decode


@dataclass
class RunReport:
    now: datetime
    batches: list[BatchResult] = field(default_factory=list)
    caught_up: bool = True
    checkpoint_lag_seconds: float | None = None
    duration_ms: int = 0

    def total(self, name: str) -> int:
        return sum(getattr(b, name) for b in self.batches)

    def summary(self) -> dict[str, Any]:
        reasons: Counter[str] = Counter()
        for b in self.batches:
            reasons.update(b.reasons)
        return {
            "read": self.total("read"),
            "landed": self.total("landed"),
            "skipped": self.total("skipped"),
            "quarantined": self.total("quarantined"),
            "fast_path": self.total("fast"),
            "objects": sum(len(b.keys) for b in self.batches),
            "batches": len(self.batches),
            "quarantine_reasons": dict(sorted(reasons.items())),
            "caught_up": self.caught_up,
            "checkpoint_lag_seconds": self.checkpoint_lag_seconds,
            "duration_ms": self.duration_ms,
        }


def bounds_from(settings: Settings) -> Bounds:
    return Bounds(timedelta(days=settings.max_event_age_days), timedelta(minutes=settings.max_future_minutes))


def land_batch(batch: Batch, sink: Sink, settings: Settings) -> BatchResult:
    """Parse, validate and land every message of one batch; one code path for every source and sink."""
    ingested = naive_utc(batch.ingested_at)
    ingest_date = ingested.date().isoformat()
    result = BatchResult(batch.source, batch.stem, batch.log_group, ingest_date)
    result.window_start, result.window_end = batch.window_start, batch.window_end
    lander = _Lander(batch, sink, settings, result)
    for block in batch.blocks:
        lander.land(block)
    result.keys = lander.raw.close() + lander.quarantine.close()
    result.landed = lander.raw.lines
    result.quarantined = lander.quarantine.lines
    result.skipped = result.read - result.landed - result.quarantined
    return result


class _Lander:
    """Lands the blocks of one batch into its raw and quarantine parts.

    Per block, canonical.py's regex runs over the whole text and yields only the canonical lines
    (the common case), for which the Python loop only joins slices of the line's own bytes. The
    lines between two of them are counted by C calls, and the few there that carry the marker go to
    the reference path (`parse.parse_message`) in place, as do canonical lines outside the time
    window or the size bound; records keep their input order.
    """

    def __init__(self, batch: Batch, sink: Sink, settings: Settings, result: BatchResult) -> None:
        ingested = naive_utc(batch.ingested_at)
        self.ingested_text = utc_text(ingested)
        self.raw = PartWriter(sink, RAW_PREFIX, result.ingest_date, batch.stem, settings.part_max_bytes)
        self.quarantine = PartWriter(
            sink, QUARANTINE_PREFIX, result.ingest_date, batch.stem, settings.part_max_bytes
        )
        self.bounds = bounds_from(settings)
        self.max_line_bytes = settings.max_line_bytes
        self.log_group = batch.log_group
        self.default_received = batch.received or ingested
        self.head = f',"ingested_at":"{self.ingested_text}","log_group":{_quote(batch.log_group)}'
        self.result = result
        self.block = Block(b"")
        self.tail_format, self.tails = b"", None
        self.out: list[bytes] = []  # pieces of raw records, each record's last piece ending in a newline
        self.records = 0  # records in `out` from the reference path

    def land(self, block: Block) -> None:
        self.block = block
        text, received = block.text, block.received
        self.tail_format, tails = block.record_tails(self.head)
        tail_format, self.tails = self.tail_format, tails
        bounds, default_received = self.bounds, self.default_received
        # The fast path checks every line against the window all of the block's lines share (the
        # same window for a file); a line outside it goes to the reference path and its own window.
        if received is None:
            lo, hi = window_text(*bounds.window(default_received))
        else:
            times = [r or default_received for r in received]
            lo, hi = window_text(bounds.window(max(times))[0], bounds.window(min(times))[1])
        longest = self.max_line_bytes + 1  # a match holds its line and the newline before it
        marker, micros_z, z, to_utc, count, find = (
            MARKER_BYTES,
            MICROS_Z,
            Z,
            utc_millis,
            text.count,
            text.find,
        )
        # A marker written with JSON escapes (`analytics\u002erequest`) can only be where a backslash
        # is. `escaped` is the first backslash at or after some point no later than the current gap's
        # start, so a gap holds one exactly when `escaped` is before the gap's end: one integer
        # comparison per gap in the common case, one search per backslash otherwise. (A backslash is
        # searched for alone: bytes.find of b"\\u" is slowed by the many `u`s, of one byte it is memchr.)
        escaped = find(BACKSLASH)
        if escaped < 0:
            escaped = len(text)
        out = self.out
        fast, step = 0, _STEP
        number = 0  # the line number of the last line accounted for
        first = CANONICAL_FIRST_LINE(text)
        if first and first.end() > self.max_line_bytes:
            first = None  # the reference path quarantines it as too large
        # Where the previous canonical line ended (at its newline): a match that starts right there
        # (at that newline) is the next line. The first line, when canonical, starts at 0.
        previous = 0 if first else -1
        for match in chain((first,), CANONICAL_LINES(text)) if first else CANONICAL_LINES(text):
            start, end = match.span()
            if start != previous:  # lines in between: counted, and judged by the reference if marked
                if escaped < start:
                    self.between(previous + 1, start, number + 1)
                    escaped = find(BACKSLASH, start)
                    if escaped < 0:
                        escaped = len(text)
                elif find(marker, previous + 1, start) >= 0:
                    self.between(previous + 1, start, number + 1)
                number += count(10, previous + 1, start) + 1  # 10: newline (an int needs no buffer)
            number += 1
            previous = end
            service, record, occurred, zone, rest = match.groups()
            if zone != z:
                occurred = to_utc(occurred, zone)
            if lo <= occurred <= hi and end - start <= longest:
                tail = tail_format % number if tails is None else tails[number]
                out += (record, occurred, micros_z, rest, service, tail)
                fast += 1
                if fast == step:
                    self.flush(fast)
                    fast = 0
            else:
                line = text[start:end]
                self.reference(number, line[1:] if line[0] == 10 else line)
        if previous + 1 < len(text):  # the lines after the last canonical one
            if find(marker, previous + 1) >= 0 or find(BACKSLASH, previous + 1) >= 0:
                self.between(previous + 1, len(text), number + 1)
            number += count(10, previous + 1) + (text[-1] != 10)  # a newline ends the last line
        self.result.read += number
        self.flush(fast)

    def flush(self, fast: int) -> None:
        """Hand the records gathered so far to the raw writer as one block."""
        self.raw.add_block(b"".join(self.out), fast + self.records)
        self.result.fast += fast
        self.out.clear()
        self.records = 0

    def between(self, first: int, end: int, number: int) -> None:
        """The lines of text[first:end], numbered from `number`, that carry the marker (maybe escaped)."""
        for offset, line in enumerate(self.block.text[first:end].split(b"\n")):
            if has_marker(line):
                self.reference(number + offset, line)

    def reference(self, number: int, line: bytes) -> None:
        """One line (its number counts from 1) that carries the marker, by the reference path."""
        block = self.block
        message = block.originals.get(number, line)
        when = self.default_received
        if block.received is not None:
            when = block.received[number - 1] or when
        kind, value = parse_message(message, *self.bounds.window(when), self.max_line_bytes)
        if kind == LAND:
            tail = self.tail_format % number if self.tails is None else self.tails[number]
            self.out += (value.encode(), tail)
            self.records += 1
        elif kind == QUARANTINE:
            self.result.reasons[reason_code(value)] += 1
            entry = {"reason": value, "raw": raw_text(message), "log_group": self.log_group}
            self.quarantine.add_many([_encode({**entry, "ingested_at": self.ingested_text}).encode()])


def run(
    source: Source,
    sink: Sink,
    settings: Settings,
    now: datetime,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> RunReport:
    """Land every batch the source has now; state advances batch by batch after its objects exist."""
    started = time.perf_counter()
    now = now.astimezone(UTC)
    report = RunReport(now=now)
    # A log group is caught up when its last batch of the run is (earlier ones of a catch-up are not).
    caught_up: dict[str, bool] = {}
    for batch in source.batches(now):
        result = land_batch(batch, sink, settings)
        source.commit(batch, result.keys)
        report.batches.append(result)
        caught_up[batch.log_group] = batch.caught_up
        report.caught_up = all(caught_up.values())
        if batch.window_end is not None:
            lag = (now - batch.window_end).total_seconds()
            report.checkpoint_lag_seconds = max(lag, report.checkpoint_lag_seconds or 0.0)
        if on_batch:
            on_batch(result)
    report.duration_ms = int((time.perf_counter() - started) * 1000)
    return report
