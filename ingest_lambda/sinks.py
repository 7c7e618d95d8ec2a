"""Where objects go: S3 in AWS, a directory locally. Landing and checkpoints sit above either."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Protocol


class Sink(Protocol):
    def put(self, key: str, body: bytes) -> None:
        """Write (or overwrite) one object."""
        ...

    def get(self, key: str) -> bytes | None:
        """Read one object, or None when it does not exist."""
        ...

    def describe(self) -> str:
        """Where the objects go, for logs and the CLI."""
        ...


# `.<object name>.tmp-<pid>`: where LocalSink.put writes an object before renaming it into place.
_TEMP_NAME = re.compile(r"^\..+\.tmp-(\d+)$")


def _running(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalSink:
    """A lake under a local directory; writes are atomic so a crash never leaves half an object.

    An object is written to `.<name>.tmp-<pid>` and renamed into place, so a run killed mid-write
    (`kill -9`, a full disk) leaves at most that temp file, never half an object; the next run
    removes the temp files of runs that are no longer running (`remove_dead_temp_files`).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(body)
        os.replace(tmp, path)

    def remove_dead_temp_files(self) -> list[str]:
        """Remove the temp files that runs which are no longer running left behind; a live run's
        (another ingest writing into the same lake right now) are left alone. Returns their keys."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for path in sorted(self.root.rglob(".*.tmp-*")):
            match = _TEMP_NAME.match(path.name)
            if not match or not path.is_file():
                continue
            pid = int(match[1])
            if pid == os.getpid() or _running(pid):
                continue
            try:
                path.unlink()
            except FileNotFoundError:  # its own run finished it meanwhile
                continue
            removed.append(path.relative_to(self.root).as_posix())
        return removed

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def describe(self) -> str:
        return str(self.root)


class S3Sink:
    """A lake in an S3 bucket; the boto3 client is built once by the caller and passed in."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, body: bytes) -> None:
        content_type = "application/gzip" if key.endswith(".gz") else "application/json"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def describe(self) -> str:
        return f"s3://{self.bucket}"
