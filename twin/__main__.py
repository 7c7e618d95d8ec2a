"""`python -m twin up|build|down|status`: the AWS twin's commands (docs/twin.md)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from twin.lake import claim_lake, declare_raw_table, upload_raw
from twin.servers import TwinError, down, running, up
from twin.settings import REPO, TwinSettings, TwinSettingsError
from twin.terraform_names import terraform_names


def dbt_environment(settings: TwinSettings) -> dict[str, str]:
    """What profiles.yml's `twin` target and the lake source read."""
    names = terraform_names()
    return {
        "TWIN_TRINO_PORT": str(settings.trino_port),
        "DBT_TWIN_SCHEMA": names.marts_database,
        "DBT_TWIN_RAW_SCHEMA": names.raw_database,
        "LAKE_ROOT": str(settings.lake_root),
    }


def print_endpoints(settings: TwinSettings) -> None:
    names = terraform_names()
    print(f"twin: S3 (moto)  {settings.s3_endpoint}  bucket s3://{names.lake_bucket}/")
    print(
        f"twin: Trino {settings.trino_endpoint}  catalog hive, "
        f"schemas {names.raw_database}, {names.marts_database}"
    )
    print(f"twin: state {settings.state_dir}; stop with `make twin-down`")


def build(settings: TwinSettings, dbt_args: list[str]) -> int:
    if not settings.lake_root.is_dir():
        print(
            f"twin: LAKE_ROOT {settings.lake_root} does not exist (run `make ingest` first)", file=sys.stderr
        )
        return 2
    if claim_lake(settings):
        print(f"twin: new LAKE_ROOT {settings.lake_root}: the twin's bucket starts empty")
    uploaded, total = upload_raw(settings)
    print(f"twin: {uploaded} of {total} raw file(s) uploaded (the others were already there)")
    partitions = declare_raw_table(settings)
    print(f"twin: raw table over {partitions} ingest_date partition(s)")
    cmd = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--project-dir",
        "dbt_project",
        "--profiles-dir",
        ".",
        "--target",
        "twin",
        *dbt_args,
    ]
    print("twin: " + " ".join(cmd[1:]), flush=True)
    return subprocess.run(
        cmd, cwd=REPO, env={**os.environ, **dbt_environment(settings)}, check=False
    ).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin", description=__doc__)
    parser.add_argument("command", choices=["up", "build", "down", "status"])
    # Anything after the command (e.g. --full-refresh, -s marts) goes to `dbt build`.
    args, dbt_args = parser.parse_known_args(argv)
    try:
        settings = TwinSettings.from_env()
        if args.command == "down":
            down(settings)
            print("twin: stopped")
            return 0
        if args.command == "status":
            state = "running" if running(settings) else "stopped"
            print(f"twin: {state}")
            print_endpoints(settings)
            return 0 if state == "running" else 1
        if not running(settings):
            print("twin: starting moto (S3) and Trino on 127.0.0.1 ...", flush=True)
        seconds = up(settings)
        print(f"twin: up ({seconds:.0f} s)")
        print_endpoints(settings)
        if args.command == "build":
            return build(settings, dbt_args)
        return 0
    except (TwinError, TwinSettingsError) as error:
        print(f"twin: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
