"""The orchestration: batches from a source -> parse and validate -> landing parts -> commit."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest_lambda.landing import QUARANTINE_PREFIX, RAW_PREFIX, PartWriter
from ingest_lambda.parse import LAND, MARKER, SKIP, escaped_text, is_utf8_text, parse_message
from ingest_lambda.settings import Settings
from ingest_lambda.sinks import Sink
from ingest_lambda.sources import Batch, Source, naive_utc
from ingest_lambda.validate import INVALID_UTF8, Bounds, reason_code, utc_text

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_quote = json.encoder.encode_basestring
_LAND_CHUNK = 1024


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
    """Parse, validate and land every line of one batch; one code path for every source and sink."""
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
    default_oldest, default_newest = bounds.window(batch.received or ingested)
    last_received: datetime | None = None
    oldest, newest = default_oldest, default_newest
    read = skipped = 0
    reasons: Counter[str] = result.reasons
    landed: list[bytes] = []  # handed to the writer in chunks: one call per chunk, not per line
    encode = _encode

    def to_quarantine(reason: str, text: str) -> None:
        reasons[reason_code(reason)] += 1
        record = {"reason": reason, "raw": text, "log_group": log_group, "ingested_at": ingested_text}
        quarantine.add(encode(record).encode())

    quote = _quote
    group_json = quote(log_group)
    tail_head = f',"ingested_at":"{ingested_text}","log_group":{group_json},"log_stream":'
    last_stream: str | None = None
    stream_json = ""
    for message, received, log_stream, event_id in batch.events:
        read += 1
        if MARKER not in message:
            # Most lines of a log group are not analytics lines: count them without a call.
            skipped += 1
            continue
        if received is None:
            oldest, newest = default_oldest, default_newest
        elif received != last_received:
            last_received = received
            oldest, newest = bounds.window(received)
        if not message.isascii() and not is_utf8_text(message):
            to_quarantine(INVALID_UTF8, escaped_text(message))
            continue
        kind, value = parse_message(message, oldest, newest, max_line_bytes)
        if kind == LAND:
            if log_stream is not last_stream:
                last_stream = log_stream
                stream_json = quote(log_stream)
            if type(event_id) is int:
                event_id = f"{log_stream}:{event_id}"
            landed.append(f'{value}{tail_head}{stream_json},"event_id":{quote(event_id)}}}'.encode())
            if len(landed) == _LAND_CHUNK:
                raw.add_many(landed)
                landed = []
        elif kind == SKIP:
            skipped += 1
        else:
            to_quarantine(value, message)

    raw.add_many(landed)
    result.keys = raw.close() + quarantine.close()
    result.read = read
    result.skipped = skipped
    result.landed = raw.lines
    result.quarantined = quarantine.lines
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
