"""`python -m twin up|build|maintain|ingest|down|status`: the AWS twin's commands (docs/twin.md)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from ingest_lambda.__main__ import parse_now
from ingest_lambda.settings import SettingsError
from serving.pointer import PointerError
from twin.ingest import INGESTED, NothingToIngestError, ingest
from twin.lake import (
    claim_lake,
    claimed_lake,
    declare_raw_table,
    drop_stale_temporary_tables,
    publish_twin_marts,
    upload_raw,
)
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
        f"twin: Trino {settings.trino_endpoint}  catalogs iceberg (models), hive (raw), "
        f"schemas {names.raw_database}, {names.marts_database}"
    )
    print(f"twin: state {settings.state_dir}; stop with `make twin-down`")


def build(settings: TwinSettings, dbt_args: list[str], ingested: bool = False) -> int:
    """dbt build on the twin over LAKE_ROOT's raw files (uploaded first), or, `ingested`, over
    what `python -m twin ingest` landed in the bucket."""
    if ingested:
        if claimed_lake(settings) != INGESTED:
            print(
                "twin: nothing ingested into the twin yet (run `python -m twin ingest` first)",
                file=sys.stderr,
            )
            return 2
        print(f"twin: building what the ingest landed in s3://{terraform_names().lake_bucket}/")
    else:
        if not settings.lake_root.is_dir():
            print(
                f"twin: LAKE_ROOT {settings.lake_root} does not exist (run `make ingest` first)",
                file=sys.stderr,
            )
            return 2
        if claim_lake(settings):
            print(f"twin: new LAKE_ROOT {settings.lake_root}: the twin's bucket starts empty")
        uploaded, total = upload_raw(settings)
        print(f"twin: {uploaded} of {total} raw file(s) uploaded (the others were already there)")
    partitions = declare_raw_table(settings)
    print(f"twin: raw table over {partitions} ingest_date partition(s)")
    if stale := drop_stale_temporary_tables(settings):
        print(f"twin: dropped {len(stale)} temporary table(s) a failed run left: {', '.join(stale)}")
    code = run_dbt(settings, ["build", *dbt_args])
    if code == 0:
        # As dbt_runner's build: the aggregates' recent buckets are compacted before the publish.
        code = compact_served_aggregates(settings)
    if code == 0:
        # Only a successful build is served (serving/pointer.py); a failed one publishes nothing.
        try:
            pointer = publish_twin_marts(settings)
        except PointerError as error:
            print(f"twin: built, but nothing published for the API: {error}", file=sys.stderr)
            return 1
        print(f"twin: published {len(pointer.tables)} marts for the API ({pointer.committed_at})")
    return code


def compact_served_aggregates(settings: TwinSettings) -> int:
    """The aggregates' recent buckets compacted to one file each (ADR 0010), before a publish."""
    return run_dbt(settings, ["run-operation", "compact_served_aggregates"])


def maintain(settings: TwinSettings, dbt_args: list[str]) -> int:
    """`twin maintain`: the daily compaction and snapshot expiry of the Iceberg tables (ADR 0009)."""
    return run_dbt(settings, ["run-operation", "maintain_tables", *dbt_args])


def run_dbt(settings: TwinSettings, args: list[str]) -> int:
    """One dbt command on the `twin` target, with the twin's environment; its exit code."""
    cmd = [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        "dbt_project",
        "--profiles-dir",
        ".",
        "--target",
        "twin",
    ]
    print("twin: " + " ".join(cmd[1:]), flush=True)
    return subprocess.run(
        cmd, cwd=REPO, env={**os.environ, **dbt_environment(settings)}, check=False
    ).returncode


def land(settings: TwinSettings, from_dir: Path | None, now: datetime | None) -> int:
    """`twin ingest`: the ingest lands `from_dir`'s logs into the twin's lake bucket."""
    if from_dir is None or not from_dir.is_dir():
        print(f"twin: ingest needs --from-dir, a directory of log files (got {from_dir})", file=sys.stderr)
        return 2
    try:
        summary = ingest(settings, from_dir, now or datetime.now(UTC), os.environ)
    except (NothingToIngestError, SettingsError) as error:
        print(f"twin: {error}", file=sys.stderr)
        return 2
    if summary["bucket_emptied_first"]:
        print("twin: the bucket held another lake: emptied before the ingest")
    print(json.dumps(summary))
    # As `python -m ingest_lambda`: a file that could not be read fails the command.
    return 1 if summary["files_rejected"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin", description=__doc__)
    parser.add_argument("command", choices=["up", "build", "maintain", "ingest", "down", "status"])
    parser.add_argument(
        "--from-dir", type=Path, help="ingest: the directory of log files the ingest lands into the twin"
    )
    parser.add_argument("--now", type=parse_now, help="ingest: the ingest's clock (ISO-8601 with offset)")
    parser.add_argument(
        "--ingested",
        action="store_true",
        help="build: what `twin ingest` landed in the bucket, instead of LAKE_ROOT's raw files",
    )
    # Anything else (e.g. --full-refresh, -s marts) goes to `dbt build` (or to `dbt run-operation`).
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
            return build(settings, dbt_args, ingested=args.ingested)
        if args.command == "maintain":
            return maintain(settings, dbt_args)
        if args.command == "ingest":
            return land(settings, args.from_dir, args.now)
        return 0
    except (TwinError, TwinSettingsError) as error:
        print(f"twin: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
