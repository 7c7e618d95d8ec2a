"""`make twin-serve`: the API and the viewer over the marts the last `make twin-build` published.

The API reads the twin's S3 (moto) as the Lambda reads S3: DuckDB over the Iceberg marts named by
the serving pointer, re-read every API_POINTER_REFRESH_SECONDS (default here 5), so a build that
publishes while this serves is picked up without a restart. Tokens come from API_TOKENS_FILE, as
for `python -m api_lambda`.

    python -m serving.twin_serve [--host 127.0.0.1] [--port 8000]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from botocore.exceptions import ClientError

from serving.pointer import pointer_key, split_s3_url
from twin.servers import ACCESS_KEY, REGION, SECRET_KEY, running, s3_client
from twin.settings import TwinSettings, TwinSettingsError
from twin.terraform_names import terraform_names

LOCAL_REFRESH_SECONDS = "5"


def serving_environment(settings: TwinSettings) -> dict[str, str]:
    """What the API reads to serve the twin's published marts (the Lambda's settings, moto's S3)."""
    bucket, prefix = split_s3_url(terraform_names().marts_data_dir)
    return {
        "API_MARTS_POINTER": f"s3://{bucket}/{pointer_key(prefix)}",
        "API_S3_ENDPOINT": settings.s3_endpoint,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serving.twin_serve", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    args = parser.parse_args(argv)
    try:
        settings = TwinSettings.from_env()
    except TwinSettingsError as error:
        print(f"twin-serve: {error}", file=sys.stderr)
        return 2
    if not running(settings):
        print("twin-serve: the twin is not running: `make twin-up` then `make twin-build`", file=sys.stderr)
        return 2
    environment = serving_environment(settings)
    bucket, key = split_s3_url(environment["API_MARTS_POINTER"])
    try:
        s3_client(settings).head_object(Bucket=bucket, Key=key)
    except ClientError:
        print(
            f"twin-serve: nothing published at s3://{bucket}/{key} yet: run `make twin-build`",
            file=sys.stderr,
        )
        return 2
    tokens = Path(os.environ.get("API_TOKENS_FILE", "data/tokens.json"))
    if not tokens.is_file():
        print(
            f"twin-serve: API_TOKENS_FILE {tokens} does not exist (`make tokens` writes one from the local "
            "warehouse of the same lake; or write {token: principal} JSON yourself)",
            file=sys.stderr,
        )
        return 2
    os.environ.update(environment)
    os.environ.setdefault("API_POINTER_REFRESH_SECONDS", LOCAL_REFRESH_SECONDS)
    print(
        f"twin-serve: serving {environment['API_MARTS_POINTER']} from {settings.s3_endpoint}", file=sys.stderr
    )
    from api_lambda.__main__ import main as serve

    return serve(["--host", args.host, "--port", str(args.port), "--demo-tokens", str(tokens)])


if __name__ == "__main__":
    sys.exit(main())
