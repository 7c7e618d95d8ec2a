"""`python -m ingest_lambda --from-dir DIR`: land local log files into the lake (demo, tests, backfills).

Exit status: 0 when every file was read, 1 when some file could not be read (a corrupt gzip: it is
named on stderr and counted as `files_rejected`, and every other file still lands), 2 for operator
errors (a missing directory, no log files, a bad `--now` or setting)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ingest_lambda.run import BatchResult, run
from ingest_lambda.settings import Settings, SettingsError
from ingest_lambda.sinks import LocalSink
from ingest_lambda.sources import LocalFileSource


def parse_now(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now needs an offset, e.g. {value}Z: {value!r}")
    return parsed.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest_lambda",
        description="Validate app log files (one CloudWatch message per line) and land them in the lake.",
    )
    parser.add_argument(
        "--from-dir",
        required=True,
        type=Path,
        help="directory whose *.log and *.log.gz files to read (gzip content is read under either name)",
    )
    parser.add_argument(
        "--now",
        type=parse_now,
        help="the run's clock (ISO-8601 with offset): ingested_at and the ingest_date partition; "
        "fix it for reproducible backfills (default: the real time)",
    )
    parser.add_argument("--lake-root", help="lake directory (default: $LAKE_ROOT or data/lake)")
    parser.add_argument(
        "--force", action="store_true", help="land files again even if the lake has them with this content"
    )
    parser.add_argument("--quiet", action="store_true", help="no per-file progress on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.lake_root:
        settings = replace(settings, lake_root=args.lake_root)
    directory: Path = args.from_dir
    if not directory.is_dir():
        print(f"error: --from-dir {directory} is not a directory", file=sys.stderr)
        return 2
    sink = LocalSink(settings.lake_root)
    source = LocalFileSource(directory, sink, force=args.force)
    files = source.files()
    if not files:
        print(f"error: no *.log or *.log.gz files in {directory}", file=sys.stderr)
        return 2
    removed = sink.remove_dead_temp_files()
    if removed and not args.quiet:
        print(f"ingest: removed {len(removed)} temp files left by runs that died mid-write", file=sys.stderr)
    not_read = source.not_read()
    if not_read:
        # Named even with --quiet: lines that are never read must not go unnoticed.
        print(
            f"warning: {len(not_read)} files look like logs but are not read (only *.log and *.log.gz "
            f"are): {', '.join(not_read[:10])}{' ...' if len(not_read) > 10 else ''}",
            file=sys.stderr,
        )
    now = args.now or datetime.now(UTC)
    if not args.quiet:
        print(f"ingest: {len(files)} files from {directory} into {sink.describe()}", file=sys.stderr)

    def progress(result: BatchResult) -> None:
        if not args.quiet:
            print(
                f"  {result.log_group.removeprefix('file:')}: {result.read} read, {result.landed} landed, "
                f"{result.skipped} skipped, {result.quarantined} quarantined, {len(result.keys)} objects",
                file=sys.stderr,
            )

    report = run(source, sink, settings, now, on_batch=progress)
    summary = report.summary()
    summary["files"] = len(report.batches)
    summary["files_unchanged"] = len(source.unchanged)
    summary["files_rejected"] = len(source.rejected)
    summary["files_not_read"] = len(not_read)
    summary["temp_files_removed"] = len(removed)
    summary["lake_root"] = sink.describe()
    summary.pop("checkpoint_lag_seconds")
    if source.unchanged and not args.quiet:
        print(
            f"  {len(source.unchanged)} files already landed with the same content, not landed again "
            "(--force lands them again)",
            file=sys.stderr,
        )
    for name, why in source.rejected.items():
        print(f"error: {name} could not be read and was not landed: {why}", file=sys.stderr)
    print(json.dumps(summary))
    # Rejected files are input lost until fixed: say so in the exit status too (the rest landed).
    return 1 if source.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
