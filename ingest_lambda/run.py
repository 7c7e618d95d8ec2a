"""The orchestration: batches from a source -> parse and validate -> landing parts -> commit."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import compress, count, repeat
from typing import Any

from ingest_lambda.canonical import CANONICAL, MICROS_Z, Z, utc_millis, window_text
from ingest_lambda.landing import QUARANTINE_PREFIX, RAW_PREFIX, PartWriter
from ingest_lambda.parse import LAND, MARKER_BYTES, QUARANTINE, parse_message, raw_text
from ingest_lambda.settings import Settings
from ingest_lambda.sinks import Sink
from ingest_lambda.sources import Batch, Source, naive_utc
from ingest_lambda.validate import Bounds, reason_code, utc_text

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_quote = json.encoder.encode_basestring
# Analytics lines handled per step: matched in one pass, their records handed to the writer as one block.
_STEP = 4096


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
    """Parse, validate and land every message of one batch; one code path for every source and sink.

    Per block: the analytics lines are picked out and matched against canonical.py's regex by C
    loops (`map`, `compress`); the Python loop then sees only analytics lines, and for a canonical
    one only joins slices of its own bytes. Every other analytics line goes to the reference path
    (`parse.parse_message`) in place, so records keep their input order.
    """
    ingested = naive_utc(batch.ingested_at)
    ingested_text = utc_text(ingested)
    ingest_date = ingested.date().isoformat()
    result = BatchResult(batch.source, batch.stem, batch.log_group, ingest_date)
    result.window_start, result.window_end = batch.window_start, batch.window_end
    raw = PartWriter(sink, RAW_PREFIX, ingest_date, batch.stem, settings.part_max_bytes)
    quarantine = PartWriter(sink, QUARANTINE_PREFIX, ingest_date, batch.stem, settings.part_max_bytes)
    bounds = bounds_from(settings)
    max_line_bytes = settings.max_line_bytes
    log_group = batch.log_group
    default_received = batch.received or ingested
    head = f',"ingested_at":"{ingested_text}","log_group":{_quote(log_group)}'
    reasons: Counter[str] = result.reasons
    read = 0
    canonical, micros_z, z, to_utc = CANONICAL, MICROS_Z, Z, utc_millis  # locals: read once per line
    for block in batch.blocks:
        read += block.read()
        messages = block.messages
        # bytes.count, not `in`: for bytes, `in` first tries the needle as an integer and builds (and
        # drops) a TypeError for every line.
        analytics = list(compress(count(), map(bytes.count, messages, repeat(MARKER_BYTES))))
        received = block.received
        # The fast path checks every line against the window all of the block's lines share (the
        # same window for a file); a line outside it goes to the reference path and its own window.
        if received is None:
            lo, hi = window_text(*bounds.window(default_received))
        else:
            times = [r or default_received for r in received]
            lo, hi = window_text(bounds.window(max(times))[0], bounds.window(min(times))[1])
        for step in range(0, len(analytics), _STEP):
            indexes = analytics[step : step + _STEP]
            lines = map(messages.__getitem__, indexes)
            if max(map(len, map(messages.__getitem__, indexes))) <= max_line_bytes:
                matches = map(canonical, lines)
            else:  # rare: let the reference path quarantine what is too large
                matches = (None if len(line) > max_line_bytes else canonical(line) for line in lines)
            out: list[bytes] = []
            bad: list[bytes] = []
            declined = landed_there = 0  # lines the fast path left to the reference path; landed by it
            for i, match, tail in zip(indexes, matches, block.record_tails(indexes, head), strict=True):
                if match is not None:
                    service, record, occurred, zone, rest = match.groups()
                    if zone != z:
                        occurred = to_utc(occurred, zone)
                    if occurred is not None and lo <= occurred <= hi:
                        out += (record, occurred, micros_z, rest, service, tail)
                        continue
                declined += 1
                message = messages[i]
                r = default_received if received is None else received[i] or default_received
                kind, value = parse_message(message, *bounds.window(r), max_line_bytes)
                if kind == LAND:
                    out += (value.encode(), tail)
                    landed_there += 1
                elif kind == QUARANTINE:
                    reasons[reason_code(value)] += 1
                    entry = {"reason": value, "raw": raw_text(message), "log_group": log_group}
                    bad.append(_encode({**entry, "ingested_at": ingested_text}).encode())
            fast = len(indexes) - declined
            raw.add_block(b"".join(out), fast + landed_there)
            quarantine.add_many(bad)
            result.fast += fast
    result.keys = raw.close() + quarantine.close()
    result.read = read
    result.landed = raw.lines
    result.quarantined = quarantine.lines
    result.skipped = read - raw.lines - quarantine.lines
    return result


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
    for batch in source.batches(now):
        result = land_batch(batch, sink, settings)
        source.commit(batch, result.keys)
        report.batches.append(result)
        report.caught_up = report.caught_up and batch.caught_up
        if batch.window_end is not None:
            lag = (now - batch.window_end).total_seconds()
            report.checkpoint_lag_seconds = max(lag, report.checkpoint_lag_seconds or 0.0)
        if on_batch:
            on_batch(result)
    report.duration_ms = int((time.perf_counter() - started) * 1000)
    return report
