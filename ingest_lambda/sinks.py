"""Where objects go: S3 in AWS, a directory locally. Landing and checkpoints sit above either."""

from __future__ import annotations

import os
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


class LocalSink:
    """A lake under a local directory; writes are atomic so a crash never leaves half an object."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(body)
        os.replace(tmp, path)

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
