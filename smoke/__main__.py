"""`python -m smoke`: the smoke test against a deployed stack (docs/runbook.md, "Smoke test").

    SMOKE_TOKEN=<a global-level test token> python -m smoke [--terraform-dir terraform | --outputs file.json]

Reads the stack's names from `terraform output -json`, uses the caller's AWS credentials (it
writes one log event, starts one dbt task and reads the lake and the docs bucket), and exits 1
with the step that failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from smoke.run import Clock, SmokeFailed, Stack, smoke


def http_get(url: str, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json", **headers})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the stack's https URL
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"null")
        except ValueError:
            return error.code, body.decode(errors="replace")


def outputs_from(args: argparse.Namespace) -> dict[str, Any]:
    if args.outputs:
        return json.loads(Path(args.outputs).read_text())
    proc = subprocess.run(
        ["terraform", f"-chdir={args.terraform_dir}", "output", "-json"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SmokeFailed(f"terraform output failed: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--terraform-dir", default="terraform", help="the applied root module")
    parser.add_argument("--outputs", help="a saved `terraform output -json` instead")
    parser.add_argument("--land-minutes", type=int, default=30, help="how long to wait for the ingest")
    parser.add_argument("--dbt-minutes", type=int, default=120, help="how long to wait for the dbt task")
    args = parser.parse_args(argv)
    token = os.environ.get("SMOKE_TOKEN", "").strip()
    if not token:
        print("SMOKE_TOKEN is required: a global-level token from the identity provider", file=sys.stderr)
        return 2
    try:
        import boto3

        stack = Stack.from_outputs(outputs_from(args))
        smoke(
            stack,
            token,
            logs=boto3.client("logs"),
            s3=boto3.client("s3"),
            ecs=boto3.client("ecs"),
            http_get=http_get,
            clock=Clock(),
            land_timeout=timedelta(minutes=args.land_minutes),
            dbt_timeout=timedelta(minutes=args.dbt_minutes),
        )
    except SmokeFailed as failed:
        print(f"SMOKE TEST FAILED: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
