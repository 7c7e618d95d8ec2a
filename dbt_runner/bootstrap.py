"""Container entry point of the dbt task: fetch the runner bundle from S3, unpack it, run the runner.

Terraform passes this file's text as `python3 -c` to a public Python image (AWS's Lambda Python
3.11 base image, which has boto3), so no private image is built. Arguments after it (a manual
run's container command, e.g. `--full-refresh`) go to `python -m dbt_runner` unchanged.
Standard library and boto3 only: nothing else is importable before the bundle is unpacked.
"""

from __future__ import annotations

import os
import runpy
import sys
import zipfile
from pathlib import Path
from typing import Any


def fetch_bundle(s3: Any, bucket: str, key: str, target: Path) -> Path:
    """Download s3://bucket/key and unpack it into target (emptied first); return target."""
    target.mkdir(parents=True, exist_ok=True)
    archive = target.with_suffix(".zip")
    s3.download_file(bucket, key, str(archive))
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(target)
    archive.unlink()
    return target


def main(argv: list[str], env: dict[str, str], s3: Any = None) -> None:
    bucket, key = env.get("BUNDLE_BUCKET", ""), env.get("BUNDLE_KEY", "")
    if not bucket or not key:
        raise SystemExit("BUNDLE_BUCKET and BUNDLE_KEY name the runner bundle in S3; both are required")
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    root = fetch_bundle(s3, bucket, key, Path(env.get("BUNDLE_DIR", "/tmp/bundle")))  # noqa: S108
    print(f'{{"message": "bundle unpacked", "bundle": "s3://{bucket}/{key}"}}', flush=True)
    sys.path.insert(0, str(root))
    sys.argv = ["dbt_runner", *argv]
    runpy.run_module("dbt_runner", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    # `python3 -c <this file>` puts "-c" in argv[0]; the rest are the runner's arguments.
    main(sys.argv[1:], dict(os.environ))
