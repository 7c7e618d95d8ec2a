"""Upload the run's artifacts and the docs site to the docs bucket."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any


def content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def publish(s3: Any, bucket: str, files: list[tuple[str, Path]], summary: dict[str, Any]) -> list[str]:
    """Put each file, then the run summary under runs/<run id>/ and as runs/latest.json; return the keys."""
    keys = []
    for key, path in files:
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path))
        keys.append(key)
    summary_keys = [f"runs/{summary['run_id']}/summary.json", "runs/latest.json"]
    body = json.dumps({**summary, "published": keys + summary_keys}, indent=2, sort_keys=True).encode()
    for key in summary_keys:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return keys + summary_keys
