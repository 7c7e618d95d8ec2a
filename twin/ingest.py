"""The ingest lands log files into the twin's lake bucket through its S3 sink, as in AWS.

The ingest's own code from the source on: `LocalFileSource` reads the log files (as
`python -m ingest_lambda --from-dir` does), `run` validates and lands them, and `S3Sink` writes
the raw objects, the quarantine and the ingest state into the bucket named by `LAKE_BUCKET`
(the twin sets it to Terraform's lake bucket) over the S3 protocol, against moto. Nothing is
copied from a local lake: the bucket then holds what the ingest Lambda would have written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ingest_lambda.run import run
from ingest_lambda.settings import Settings
from ingest_lambda.sinks import S3Sink
from ingest_lambda.sources import LocalFileSource
from twin.lake import claim_lake
from twin.servers import s3_client
from twin.settings import TwinSettings
from twin.terraform_names import terraform_names

# The twin's bucket holds one lake at a time (twin/lake.py): this key is the lake the ingest
# writes into the bucket itself, as opposed to a LAKE_ROOT uploaded by `twin build`.
INGESTED = "ingest:s3"


class NothingToIngestError(ValueError):
    """The directory holds no log file the ingest reads."""


def ingest_settings(env: Mapping[str, str]) -> Settings:
    """The ingest's settings as its Lambda reads them, with LAKE_BUCKET the twin's lake bucket."""
    return Settings.from_env({**env, "LAKE_BUCKET": terraform_names().lake_bucket})


def ingest(settings: TwinSettings, from_dir: Path, now: datetime, env: Mapping[str, str]) -> dict[str, Any]:
    """Land `from_dir`'s log files into the twin's lake bucket through the ingest's S3 sink; its summary.

    The first ingest after a LAKE_ROOT build empties the bucket (the twin then holds the
    ingested lake only); later ones add to it, and files already landed are skipped by the
    ingest's own file state, kept in the bucket.
    """
    config = ingest_settings(env)
    sink = S3Sink(s3_client(settings), config.lake_bucket or "")
    source = LocalFileSource(from_dir, sink)
    if not source.files():
        raise NothingToIngestError(f"no *.log or *.log.gz files in {from_dir}")
    emptied = claim_lake(settings, INGESTED)
    report = run(source, sink, config, now)
    summary = report.summary()
    summary.pop("checkpoint_lag_seconds", None)
    summary["files"] = len(report.batches)
    summary["files_unchanged"] = len(source.unchanged)
    summary["files_rejected"] = len(source.rejected)
    summary["bucket_emptied_first"] = emptied
    summary["lake"] = sink.describe()
    return summary
