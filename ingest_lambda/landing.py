"""gzip NDJSON objects with deterministic names and bytes (Contract 2).

Compression is ISA-L's deflate (`isal`), several times faster than zlib for a slightly lower ratio;
the output is plain gzip that any reader (gzip, DuckDB's read_json, Athena) opens. The same
records in the same order always give the same bytes:
- the gzip header is written by hand with mtime 0, no file name and OS "unknown", so neither the
  clock nor the platform leaks in;
- ISA-L's output depends on how its input is sliced into calls (zlib's does not), so a part's
  bytes always reach the compressor in slices of exactly `FEED_BYTES`, whatever blocks the caller
  hands in. A part's bytes are therefore a function of its content alone, which is what
  `gzip_bytes` (the whole part in one call) checks.
Parts are cut at `part_max_bytes` of uncompressed NDJSON, between lines, which also bounds memory.
"""

from __future__ import annotations

import struct

from isal import isal_zlib

from ingest_lambda.sinks import Sink

RAW_PREFIX = "raw/request_events"
QUARANTINE_PREFIX = "quarantine/request_events"
GZIP_LEVEL = 2  # ISA-L levels are 0-3: 2 compresses as well as 3 for NDJSON at a fifth of the CPU
FEED_BYTES = 1 << 20
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_crc32 = isal_zlib.crc32


def _compressor() -> isal_zlib.Compress:
    return isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)


def _trailer(crc: int, size: int) -> bytes:
    return struct.pack("<II", crc, size & 0xFFFFFFFF)


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip of `data` in one go: the same bytes as a part holding exactly `data`."""
    comp = _compressor()
    view = memoryview(data)
    body = [comp.compress(view[i : i + FEED_BYTES]) for i in range(0, len(data), FEED_BYTES)]
    body.append(comp.flush())
    return b"".join([_GZIP_HEADER, *body, _trailer(_crc32(data), len(data))])


def object_key(prefix: str, ingest_date: str, stem: str, part: int) -> str:
    return f"{prefix}/ingest_date={ingest_date}/{stem}-{part:04d}.json.gz"


class PartWriter:
    """Streams NDJSON into gzip parts and puts each finished part to the sink."""

    def __init__(self, sink: Sink, prefix: str, ingest_date: str, stem: str, part_max_bytes: int) -> None:
        self.sink = sink
        self.prefix = prefix
        self.ingest_date = ingest_date
        self.stem = stem
        self.part_max_bytes = part_max_bytes
        self.keys: list[str] = []
        self.lines = 0
        self._pending: list[bytes] = []  # uncompressed bytes not yet fed (less than FEED_BYTES)
        self._pending_bytes = 0
        self._part_bytes = 0
        self._chunks: list[bytes] = []
        self._crc = 0
        self._comp = _compressor()

    def add_many(self, lines: list[bytes]) -> None:
        """Add NDJSON lines (without their newlines)."""
        if lines:
            self.add_block(b"\n".join(lines) + b"\n", len(lines))

    def add_block(self, block: bytes, lines: int | None = None) -> None:
        """Add whole NDJSON lines, each ending in a newline (`lines` of them, counted when None).

        A part ends before the first line that would take it past `part_max_bytes`; a line longer
        than that on its own gets a part of its own.
        """
        if lines is None:
            lines = block.count(b"\n")
        while block:
            room = self.part_max_bytes - self._part_bytes
            if len(block) <= room:
                self._append(block, lines)
                return
            cut = block.rfind(b"\n", 0, room) + 1
            if not cut:
                if self._part_bytes:
                    self._finish_part()
                    continue
                cut = block.index(b"\n") + 1
            head = block[:cut]
            head_lines = head.count(b"\n")
            self._append(head, head_lines)
            self._finish_part()
            block = block[cut:]
            lines -= head_lines

    def _append(self, data: bytes, lines: int) -> None:
        self._crc = _crc32(data, self._crc)
        self._part_bytes += len(data)
        self.lines += lines
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= FEED_BYTES:
            self._feed(final=False)

    def _feed(self, final: bool) -> None:
        """Compress the pending bytes in slices of FEED_BYTES (all of them when `final`)."""
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        end = len(data) if final else len(data) - len(data) % FEED_BYTES
        view = memoryview(data)
        compress = self._comp.compress
        self._chunks += [compress(view[i : min(i + FEED_BYTES, end)]) for i in range(0, end, FEED_BYTES)]
        rest = data[end:]
        self._pending = [rest] if rest else []
        self._pending_bytes = len(rest)

    def _finish_part(self) -> None:
        self._feed(final=True)
        self._chunks.append(self._comp.flush())
        body = b"".join([_GZIP_HEADER, *self._chunks, _trailer(self._crc, self._part_bytes)])
        key = object_key(self.prefix, self.ingest_date, self.stem, len(self.keys))
        self.sink.put(key, body)
        self.keys.append(key)
        self._chunks = []
        self._crc = 0
        self._part_bytes = 0
        self._comp = _compressor()

    def close(self) -> list[str]:
        """Write the last part (if any line is left) and return every key written."""
        if self._part_bytes:
            self._finish_part()
        return self.keys
