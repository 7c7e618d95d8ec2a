"""gzip NDJSON objects with deterministic names and bytes (Contract 2).

The same records in the same order always give the same bytes: the gzip header is written by
hand with mtime 0, no file name and OS "unknown", so neither the clock nor the platform leaks in.
Parts are cut at `part_max_bytes` of uncompressed NDJSON, which also bounds memory.
"""

from __future__ import annotations

import struct
import zlib

from ingest_lambda.sinks import Sink

RAW_PREFIX = "raw/request_events"
QUARANTINE_PREFIX = "quarantine/request_events"
GZIP_LEVEL = 6  # gzip(1)'s default: the benchmark compares against the same level
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_FEED_BYTES = 1 << 20


def gzip_bytes(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Deterministic gzip of `data` in one go (used for tests and the benchmark's reference)."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = comp.compress(data) + comp.flush()
    return _GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def object_key(prefix: str, ingest_date: str, stem: str, part: int) -> str:
    return f"{prefix}/ingest_date={ingest_date}/{stem}-{part:04d}.json.gz"


class PartWriter:
    """Streams NDJSON lines into gzip parts and puts each finished part to the sink."""

    def __init__(self, sink: Sink, prefix: str, ingest_date: str, stem: str, part_max_bytes: int) -> None:
        self.sink = sink
        self.prefix = prefix
        self.ingest_date = ingest_date
        self.stem = stem
        self.part_max_bytes = part_max_bytes
        self.keys: list[str] = []
        self.lines = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._part_bytes = 0
        self._chunks: list[bytes] = []
        self._crc = 0
        self._comp = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)

    def add(self, line: bytes) -> None:
        """Add one NDJSON line (without its newline)."""
        size = len(line) + 1
        if self._part_bytes and self._part_bytes + size > self.part_max_bytes:
            self._finish_part()
        self._pending.append(line)
        self._pending_bytes += size
        self._part_bytes += size
        self.lines += 1
        if self._pending_bytes >= _FEED_BYTES:
            self._feed()

    def add_many(self, lines: list[bytes]) -> None:
        """Add NDJSON lines: the same parts as `add` one by one, in one step when all fit the part."""
        size = sum(map(len, lines)) + len(lines)
        if self._part_bytes + size > self.part_max_bytes:
            for line in lines:
                self.add(line)
            return
        self._pending += lines
        self._pending_bytes += size
        self._part_bytes += size
        self.lines += len(lines)
        if self._pending_bytes >= _FEED_BYTES:
            self._feed()

    def _feed(self) -> None:
        if not self._pending:
            return
        self._pending.append(b"")
        data = b"\n".join(self._pending)
        self._pending = []
        self._pending_bytes = 0
        self._crc = zlib.crc32(data, self._crc)
        out = self._comp.compress(data)
        if out:
            self._chunks.append(out)

    def _finish_part(self) -> None:
        self._feed()
        self._chunks.append(self._comp.flush())
        trailer = struct.pack("<II", self._crc, self._part_bytes & 0xFFFFFFFF)
        body = b"".join([_GZIP_HEADER, *self._chunks, trailer])
        key = object_key(self.prefix, self.ingest_date, self.stem, len(self.keys))
        self.sink.put(key, body)
        self.keys.append(key)
        self._chunks = []
        self._crc = 0
        self._part_bytes = 0
        self._comp = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)

    def close(self) -> list[str]:
        """Write the last part (if any line is left) and return every key written."""
        if self._part_bytes:
            self._finish_part()
        return self.keys
