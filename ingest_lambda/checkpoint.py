"""Per-source state under `_state/ingest/<source>.json` in the lake.

For a CloudWatch log group the state is the position (the end of the last window whose objects
were all written) and, while a window is being landed, that window as `pending`. A window too long
for the time a run has left is landed in segments: a segment ends at a page boundary, its objects
are written, and the state keeps the page token to resume from (`token`) and the next segment's
number, so the next run moves on from there instead of reading the window again. A run that dies
half way leaves `pending` behind and the next run lands exactly that segment again, with the same
clock, so it overwrites the same keys with the same bytes instead of adding new objects; `attempts`
counts those replays of one position (a position replayed again and again raises an alarm).
For local files the state maps each landed file name to the hash of the content it had.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ingest_lambda.sinks import Sink

STATE_PREFIX = "_state/ingest"
LOCAL_FILES_SOURCE = "local-files"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def state_key(source: str) -> str:
    return f"{STATE_PREFIX}/{source}.json"


def log_group_source(log_group: str) -> str:
    """A file-name-safe, collision-free source name for a log group."""
    readable = _UNSAFE.sub("_", log_group).strip("_")[:80] or "root"
    return f"cw-{readable}-{hashlib.sha256(log_group.encode()).hexdigest()[:8]}"


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without an offset: {value!r}")
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class Checkpoint:
    log_group: str
    position: datetime | None = None
    pending: tuple[datetime, datetime] | None = None
    token: str | None = None  # the page of the pending window to resume from (None: its first page)
    segment: int = 0  # the number of the pending window's next segment (it names the objects)
    attempts: int = 0  # runs that started this pending position and did not land it


def _dump(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def load_checkpoint(sink: Sink, log_group: str) -> Checkpoint:
    body = sink.get(state_key(log_group_source(log_group)))
    if body is None:
        return Checkpoint(log_group)
    doc = json.loads(body)
    position = parse_iso(doc["position"]) if doc.get("position") else None
    pending = doc.get("pending")
    if not pending:
        return Checkpoint(log_group, position)
    window = (parse_iso(pending["start"]), parse_iso(pending["end"]))
    return Checkpoint(
        log_group,
        position,
        window,
        pending.get("token"),
        int(pending.get("segment", 0)),
        int(pending.get("attempts", 0)),
    )


def save_checkpoint(sink: Sink, checkpoint: Checkpoint, updated_at: datetime) -> None:
    doc: dict[str, Any] = {
        "log_group": checkpoint.log_group,
        "position": iso(checkpoint.position) if checkpoint.position else None,
        "pending": (
            {
                "start": iso(checkpoint.pending[0]),
                "end": iso(checkpoint.pending[1]),
                "token": checkpoint.token,
                "segment": checkpoint.segment,
                "attempts": checkpoint.attempts,
            }
            if checkpoint.pending
            else None
        ),
        "updated_at": iso(updated_at),
    }
    sink.put(state_key(log_group_source(checkpoint.log_group)), _dump(doc))


def load_file_state(sink: Sink) -> dict[str, dict[str, Any]]:
    body = sink.get(state_key(LOCAL_FILES_SOURCE))
    return json.loads(body)["files"] if body else {}


def save_file_state(sink: Sink, files: dict[str, dict[str, Any]]) -> None:
    sink.put(state_key(LOCAL_FILES_SOURCE), _dump({"files": files}))
