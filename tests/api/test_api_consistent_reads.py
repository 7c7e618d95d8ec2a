"""The API serves one committed build: a local build that fails or is interrupted changes nothing.

dbt writes model after model into the file it builds, so before `dbt_runner.local_build` an
interrupted `make build` left session metrics from the new build beside products and sessions
from the old one, and the API served that mix. These tests stop real builds part-way and read
every route through one running app, as the viewer would.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.settings import Settings
from ingest_lambda.commands import ingest_command, simulate_command

REPO = Path(__file__).resolve().parents[2]
# One more delivery day after the shared fixture's last one, from another seed (other sessions).
EXTRA_DAY_ARGS = [
    "--seed",
    "12",
    "--days",
    "1",
    "--sessions",
    "80",
    "--clients",
    "3",
    "--end-date",
    "2026-11-21",
]
EXTRA_INGEST_NOW = "2026-11-22T00:30:00Z"
AGG_SESSION_METRICS_BUILT = re.compile(r"OK created .*\bagg_session_metrics\b")
ROUTES = ("/v1/metrics/sessions", "/v1/metrics/products", "/v1/sessions")


@dataclass(frozen=True)
class Setup:
    warehouse: Path
    grown_lake: Path
    params: dict[str, str]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(cmd: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True)
    assert proc.returncode == 0, (
        f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )


def _build_command(*dbt_args: str) -> list[str]:
    return [sys.executable, "-m", "dbt_runner.local_build", *dbt_args]


def _build_env(setup: Setup) -> dict[str, str]:
    return {
        **os.environ,
        "WAREHOUSE_PATH": str(setup.warehouse),
        "LAKE_ROOT": str(setup.grown_lake),
    }


@pytest.fixture
def setup(built_warehouse, tenants, tmp_path: Path) -> Setup:
    # Given a copy of the built warehouse, and its lake grown by one more delivery day.
    warehouse = tmp_path / "served.duckdb"
    shutil.copyfile(built_warehouse.warehouse_path, warehouse)
    lake = tmp_path / "lake"
    shutil.copytree(built_warehouse.lake.lake_root, lake)
    logs = tmp_path / "extra_logs"
    _run(simulate_command(logs, *EXTRA_DAY_ARGS, "--quiet"), {})
    _run(ingest_command(logs, EXTRA_INGEST_NOW), {"LAKE_ROOT": str(lake)})
    params = {"grain": "day", "from": tenants.first_day.isoformat(), "to": "2026-11-21"}
    return Setup(warehouse=warehouse, grown_lake=lake, params=params)


@pytest.fixture
def client(setup: Setup, tokens_file: Path) -> Iterator[TestClient]:
    settings = Settings.from_env({"WAREHOUSE_PATH": str(setup.warehouse), "CURSOR_SECRET": "test-secret"})
    backend = DuckDBBackend(settings.warehouse_path)
    with TestClient(create_app(settings, backend, TokensFileAuthenticator(tokens_file))) as app:
        yield app
    backend.close()


def answers(client: TestClient, params: dict[str, str]) -> dict[str, object]:
    """Every route's body for the whole range, at global level."""
    out: dict[str, object] = {}
    for route in ROUTES:
        query = params if route != "/v1/sessions" else {k: v for k, v in params.items() if k != "grain"}
        response = client.get(route, params=query, headers={"Authorization": "Bearer t-global"})
        assert response.status_code == 200, response.text
        out[route] = response.json()
    return out


def total_sessions(body: object) -> int:
    return sum(point["sessions"] for point in body["series"])  # type: ignore[index]


def test_an_interrupted_build_leaves_the_served_answers_unchanged(setup: Setup, client: TestClient):
    before = answers(client, setup.params)
    digest = _sha256(setup.warehouse)

    # When a build over the grown lake is stopped with Ctrl-C just after agg_session_metrics
    proc = subprocess.Popen(
        _build_command(),
        cwd=REPO,
        env=_build_env(setup),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # A test run started in the background (`nohup ... &`) ignores SIGINT, and a child inherits
        # that: the build would not see the Ctrl-C below. Give it a terminal's default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    output: list[str] = []
    interrupted = False
    for line in proc.stdout:
        output.append(line)
        if not interrupted and AGG_SESSION_METRICS_BUILT.search(line):
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
            interrupted = True
    code = proc.wait()

    # Then the build did stop part-way, and the warehouse and every answer are the old ones
    assert interrupted, "".join(output[-40:])
    assert code != 0, "".join(output[-40:])
    assert "is unchanged" in "".join(output)
    assert _sha256(setup.warehouse) == digest
    assert not setup.warehouse.with_name(setup.warehouse.name + ".building").exists()
    assert answers(client, setup.params) == before


def test_a_failed_build_is_not_served_and_a_good_one_replaces_it_whole(
    setup: Setup, client: TestClient, tokens_file: Path, tmp_path: Path
):
    before = answers(client, setup.params)
    digest = _sha256(setup.warehouse)

    # When a build fails after staging took in the new day (a bad watermark breaks the models after it)
    failed = subprocess.run(
        _build_command("--vars", "{staged_watermark: 'not a timestamp'}"),
        cwd=REPO,
        env=_build_env(setup),
        capture_output=True,
        text=True,
    )

    # Then nothing of it is served
    assert failed.returncode != 0, failed.stdout[-3000:]
    assert "OK created" in failed.stdout  # it did write models into its copy before failing
    assert _sha256(setup.warehouse) == digest
    assert answers(client, setup.params) == before

    # When the build is run again and succeeds
    good = subprocess.run(_build_command(), cwd=REPO, env=_build_env(setup), capture_output=True, text=True)
    assert good.returncode == 0, good.stdout[-3000:]
    assert "committed" in good.stdout

    # Then the same running app serves the new build on every route, equal to a build from scratch
    after = answers(client, setup.params)
    assert total_sessions(after["/v1/metrics/sessions"]) > total_sessions(before["/v1/metrics/sessions"])
    fresh = tmp_path / "fresh.duckdb"
    _run(_build_command(), {**_build_env(setup), "WAREHOUSE_PATH": str(fresh)})
    settings = Settings.from_env({"WAREHOUSE_PATH": str(fresh), "CURSOR_SECRET": "test-secret"})
    backend = DuckDBBackend(settings.warehouse_path)
    try:
        with TestClient(create_app(settings, backend, TokensFileAuthenticator(tokens_file))) as other:
            assert answers(other, setup.params) == after
    finally:
        backend.close()
