"""Nothing dropped silently, nothing left behind: compressed log files, escaped markers, and the
temp files of a run killed mid-write."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest_lambda.emit import analytics_line
from ingest_lambda.run import land_batch
from ingest_lambda.settings import Settings
from ingest_lambda.sources import Batch, Block
from tests.conftest import REPO, BuiltLake
from tests.ingest.conftest import MemorySink, lake_records
from tests.ingest.test_local import cli, ingest

DAY = "2026-11-20"
NOW = "2026-11-21T00:30:00Z"
RECEIVED = datetime(2026, 11, 21)


def without_stream(records: list[dict]) -> list[dict]:
    """Records without what names the file they came from (`log_group`, `log_stream`, `event_id`)."""
    return [{k: v for k, v in r.items() if k not in ("log_group", "log_stream", "event_id")} for r in records]


def test_gzip_log_files_are_read_under_any_name_and_a_corrupt_one_is_rejected_loudly(
    simulated_lake: BuiltLake, tmp_path: Path
) -> None:
    # Given one day of the simulated logs as it is, gzip-compressed as .log.gz, and gzip content
    # under a plain .log name (a rotated file renamed by hand)
    content = (simulated_lake.logs_dir / f"app-{DAY}.log").read_bytes()
    plain, packed, disguised = (tmp_path / name for name in ("plain", "packed", "disguised"))
    for directory in (plain, packed, disguised):
        directory.mkdir()
    (plain / f"app-{DAY}.log").write_bytes(content)
    (packed / f"app-{DAY}.log.gz").write_bytes(gzip.compress(content))
    (disguised / f"app-{DAY}.log").write_bytes(gzip.compress(content))

    # When each directory is ingested into its own lake
    summaries = {}
    for directory in (plain, packed, disguised):
        summaries[directory.name] = ingest(
            directory, tmp_path / f"lake-{directory.name}", "--now", NOW, "--quiet"
        )

    # Then the compressed files land exactly the records of the plain one, with the same counts
    expected = without_stream(lake_records(tmp_path / "lake-plain"))
    assert len(expected) > 100
    for name in ("packed", "disguised"):
        assert without_stream(lake_records(tmp_path / f"lake-{name}")) == expected
        for figure in ("read", "landed", "skipped", "quarantined"):
            assert summaries[name][figure] == summaries["plain"][figure], (name, figure)
        assert summaries[name]["files_rejected"] == 0

    # Given a truncated gzip file beside a good one, and a rotated log that no pattern matches
    (packed / f"app-{DAY}-broken.log.gz").write_bytes(gzip.compress(content)[:5000])
    (packed / f"app-{DAY}.log.1").write_bytes(content)

    # When the directory is ingested again
    proc = cli(
        "ingest_lambda", "--from-dir", str(packed), "--lake-root", str(tmp_path / "lake-2"), "--now", NOW
    )

    # Then the broken file is named and counted, the run exits 1, the good file still landed, and
    # the file that is not read is named too
    assert proc.returncode == 1, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["files_rejected"] == 1
    assert summary["files_not_read"] == 1
    assert summary["landed"] == summaries["plain"]["landed"]
    assert f"app-{DAY}-broken.log.gz could not be read and was not landed" in proc.stderr
    assert f"not read (only *.log and *.log.gz are): app-{DAY}.log.1" in proc.stderr


def request(request_id: str) -> str:
    return analytics_line(
        request_id=request_id, session_id="s-1", client_id="acme", reseller_id="north-shop", user_id="u-1",
        method="GET", path="/products/42", status=200, duration_ms=12,
        occurred_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    )  # fmt: skip


ESCAPED = request("escaped").replace('"analytics.request"', '"analytics\\u002erequest"')
ESCAPED_PREFIXED = "2026-11-20T10:00:00.000Z\tabc\tINFO\t" + request("escaped-prefixed").replace(
    '"analytics.request"', '"\\u0061nalytics\\u002Erequest"'
)
MENTION = '{"level":"DEBUG","message":"parsed","note":"analytics\\u002erequest"}'
BROKEN = '{"level":"INFO","message":"analytics\\u002erequest","analytics":{'


def test_a_marker_written_with_a_json_escape_is_decided_by_the_parsed_line() -> None:
    # Given a file where canonical lines surround lines whose marker is written with \u escapes: a
    # valid request (bare, and behind the Lambda prefix), a debug line that only mentions the
    # marker in another field, and a broken analytics line; one more valid request is the last line
    lines = [request("plain-1"), ESCAPED, "START RequestId: abc", MENTION, request("plain-2")]
    lines += [ESCAPED_PREFIXED, BROKEN, request("plain-3"), ESCAPED.replace('"escaped"', '"escaped-last"')]
    content = ("\n".join(lines) + "\n").encode()
    assert b"analytics.request" not in ESCAPED.encode()

    # When the file is landed (by the same path as every source), and the lines as CloudWatch events
    results = []
    for block in (
        Block.of_file("app.log", content),
        Block.of_events((m, None, "s", str(i)) for i, m in enumerate(lines)),
    ):
        sink = MemorySink()
        batch = Batch("file", "file-app", "file:app.log", RECEIVED, RECEIVED, [block])
        results.append((land_batch(batch, sink, Settings()), sink))

    # Then the escaped requests landed like the plain ones, the mention was skipped (its message is
    # not the marker), the broken line was quarantined as invalid JSON, and nothing else was lost
    for result, sink in results:
        assert (result.read, result.landed, result.skipped, result.quarantined) == (9, 6, 2, 1)
        landed = [r["request_id"] for r in sink.records()]
        assert landed == ["plain-1", "escaped", "plain-2", "escaped-prefixed", "plain-3", "escaped-last"]
        assert [q["reason"] for q in sink.records("quarantine/")] == ["invalid_json"]
    # And an escaped request's record is the plain request's record but for its id
    records = {r["request_id"]: r for r in results[0][1].records()}
    escaped = {**records["escaped"], "request_id": "x", "event_id": "x"}
    plain = {**records["plain-1"], "request_id": "x", "event_id": "x"}
    assert escaped == plain


STALLED_WRITER = """
import os, sys, time
from ingest_lambda.sinks import LocalSink
# Stall between writing the temp file and renaming it into place: the moment a kill -9 leaves it.
os.replace = lambda *args: time.sleep(3600)
LocalSink(sys.argv[1]).put(sys.argv[2], b"half of a part")
"""


def stalled_writer(lake: Path, key: str) -> tuple[subprocess.Popen[bytes], Path]:
    """A process stuck mid-write of `key`, and the temp file it wrote."""
    proc = subprocess.Popen([sys.executable, "-c", STALLED_WRITER, str(lake), key], cwd=REPO)
    path = lake / key
    temp = path.with_name(f".{path.name}.tmp-{proc.pid}")
    for _ in range(600):  # wait for the child to get there (interpreter start-up on a busy machine)
        if temp.exists():
            return proc, temp
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"the writer never wrote {temp}")


def test_the_next_run_removes_what_a_run_killed_mid_write_left_but_not_a_live_runs(
    simulated_lake: BuiltLake, tmp_path: Path
) -> None:
    # Given a run killed with SIGKILL while writing a part, and another run busy writing right now
    lake = tmp_path / "lake"
    partition = f"raw/request_events/ingest_date={DAY}"
    dead, dead_temp = stalled_writer(lake, f"{partition}/file-dead-0000.json.gz")
    os.kill(dead.pid, signal.SIGKILL)
    dead.wait()
    live, live_temp = stalled_writer(lake, f"{partition}/file-live-0000.json.gz")
    try:
        assert dead_temp.exists()
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / f"app-{DAY}.log").write_bytes((simulated_lake.logs_dir / f"app-{DAY}.log").read_bytes())

        # When the next ingest runs into the same lake
        summary = ingest(logs, lake, "--now", NOW, "--quiet")

        # Then the dead run's temp file is gone, the live run's is untouched, and the run said so
        assert summary["temp_files_removed"] == 1
        assert not dead_temp.exists()
        assert live_temp.read_bytes() == b"half of a part"
        # And no temp file of the run itself is left in the lake
        temps = sorted(p.name for p in lake.rglob(".*.tmp-*"))
        assert temps == [live_temp.name]
    finally:
        live.kill()
        live.wait()
