"""The dbt task end to end where POSIX semaphores do not exist (AWS Lambda has no /dev/shm).

A subprocess whose sitecustomize makes `_multiprocessing.SemLock` raise OSError(38) runs the
task's real entry point: the bootstrap fetches a bundle built from the real sources out of S3 (a
moto server), unpacks it and runs `python -m dbt_runner`, which builds the real project on the
local DuckDB target over a small simulated lake and publishes to S3. dbt-core takes an adapter
RLock, the manifest's Lock and a ThreadPool whose queue takes a Lock: missing any one of them
fails this run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
SANDBOX = Path(__file__).parent / "sandbox"
BOOTSTRAP = REPO / "dbt_runner" / "bootstrap.py"
BUNDLES, DOCS = "artifacts-bucket", "docs-bucket"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def load_builder():
    spec = importlib.util.spec_from_file_location("build_lambdas", REPO / "packaging" / "build_lambdas.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_lambdas", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def sandbox_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DBT_"))}
    return {**env, **CREDENTIALS, "PYTHONPATH": str(SANDBOX), **extra}


def test_the_sandbox_has_no_semaphores_and_dbt_alone_fails_in_it(tmp_path: Path):
    # Given the sandbox; When a multiprocessing lock is made; Then it fails as in Lambda (errno 38)
    probe = subprocess.run(
        [sys.executable, "-c", "import multiprocessing as m; m.get_context('spawn').Lock()"],
        capture_output=True,
        text=True,
        env=sandbox_env({}),
    )
    assert probe.returncode == 1
    assert "OSError: [Errno 38]" in probe.stderr
    # And dbt itself, unpatched, cannot even parse a one-model project there (so the next test can fail)
    project = tmp_path / "tiny"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0.0'\nconfig-version: 2\nprofile: tiny\n"
        "flags:\n  send_anonymous_usage_stats: false\n"
    )
    (project / "models" / "one.sql").write_text("select 1 as id\n")
    (tmp_path / "profiles.yml").write_text(
        f"tiny:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n"
        f"      path: {tmp_path / 'tiny.duckdb'}\n      threads: 1\n"
    )
    dbt = str(Path(sys.executable).parent / "dbt")
    plain = subprocess.run(
        [dbt, "parse", "--project-dir", str(project), "--profiles-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=sandbox_env({}),
        cwd=tmp_path,
    )
    assert plain.returncode != 0
    assert "Errno 38" in plain.stderr + plain.stdout


@pytest.mark.slow
def test_task_runs_end_to_end_without_semaphores(s3_endpoint: str, simulated_lake, tmp_path: Path):
    # Given the runner bundle built from the real sources (code only: the wheels are this venv's)
    builder = load_builder()
    staging = tmp_path / "staging"
    staging.mkdir()
    builder.copy_sources(builder.FUNCTIONS["dbt_runner"].sources, staging)
    builder.prune(staging)
    bundle = tmp_path / "dbt_runner.zip"
    builder.write_reproducible_zip(staging, bundle)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **_client_credentials())
    for bucket in (BUNDLES, DOCS):
        s3.create_bucket(Bucket=bucket)
    s3.upload_file(str(bundle), BUNDLES, "dbt_runner/test.zip")
    # When the container's command runs in the sandbox: `python3 -c <bootstrap.py>`, no arguments
    env = sandbox_env(
        {
            "AWS_ENDPOINT_URL": s3_endpoint,
            "BUNDLE_BUCKET": BUNDLES,
            "BUNDLE_KEY": "dbt_runner/test.zip",
            "BUNDLE_DIR": str(tmp_path / "bundle"),
            "DOCS_BUCKET": DOCS,
            "DBT_TARGET": "local",
            "DBT_DATA_TESTS": "false",
            "LAKE_ROOT": str(simulated_lake.lake_root),
            "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
            "HOME": str(tmp_path),
            "TMPDIR": tempfile.gettempdir(),
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", BOOTSTRAP.read_text()],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    # Then it succeeds, having noticed the missing semaphores
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "no POSIX semaphores here" in proc.stdout
    # And it ran the bundle's code (the repository is not on the subprocess's path)
    assert '"bundle unpacked"' in proc.stdout
    assert (tmp_path / "bundle" / "dbt_runner" / "__main__.py").is_file()
    # And its one finished line says success, as the outcome metric filter reads it
    finished = [json.loads(line) for line in proc.stdout.splitlines() if '"dbt build finished"' in line]
    assert [line["success"] for line in finished] == [True]
    assert finished[0]["results"]["success"] >= 7
    # And the docs site and the run's artifacts are in the bucket, the run lock released
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=DOCS)["Contents"]}
    assert {"index.html", "catalog.json", "runs/latest.json"} <= keys
    assert "runs/lock.json" not in keys
    summary = json.loads(s3.get_object(Bucket=DOCS, Key="runs/latest.json")["Body"].read())
    assert summary["success"] is True


def _client_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_DEFAULT_REGION"],
    }
