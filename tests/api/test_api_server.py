"""The local server as users run it: `python -m api_lambda` on 127.0.0.1, demo tokens, the viewer
mount, and a rebuild of the warehouse (a real `dbt build`) while the server keeps answering."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_oracle import Oracle, load_events
from starlette.testclient import TestClient

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.settings import Settings
from ingest_lambda.commands import ingest_command, simulate_command
from tests.conftest import free_port, local_dbt_args

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    assert proc.returncode == 0, (
        f"{cmd} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc


@dataclass
class Reply:
    status_code: int
    text: str

    def json(self) -> dict:
        return json.loads(self.text)


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
    """GET from the local server (127.0.0.1 only); HTTP errors are replies, not exceptions."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode())


@dataclass
class Server:
    base: str
    warehouse: Path
    lake: Path
    tokens: dict[str, dict]
    process: subprocess.Popen

    def token(self, level: str) -> str:
        return next(t for t, p in self.tokens.items() if p["level"] == level)

    def get(self, path: str, level: str | None = "global", **params: str) -> Reply:
        headers = {"Authorization": f"Bearer {self.token(level)}"} if level else {}
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return http_get(self.base + path + query, headers)


@pytest.fixture(scope="module")
def server(built_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Given a private copy of the warehouse and its lake (this module rebuilds them)
    base = tmp_path_factory.mktemp("served")
    warehouse, lake = base / "warehouse.duckdb", base / "lake"
    shutil.copyfile(built_warehouse.warehouse_path, warehouse)
    shutil.copytree(built_warehouse.lake.lake_root, lake)
    viewer = base / "viewer"
    viewer.mkdir()
    (viewer / "index.html").write_text("<!doctype html><title>viewer</title>")
    # And demo tokens written by the tokens command from the warehouse's tenants
    tokens_file = base / "tokens.json"
    printed = run(
        [sys.executable, "-m", "api_lambda.tokens", "--warehouse", str(warehouse), "--out", str(tokens_file)]
    ).stdout
    tokens = json.loads(tokens_file.read_text())
    assert [p["level"] for p in tokens.values()] == ["global", "client", "reseller", "user"]
    assert all(token in printed for token in tokens)
    port = free_port()
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(warehouse),
        "API_TOKENS_FILE": str(tokens_file),
        "VIEWER_DIR": str(viewer),
        "CURSOR_SECRET": "server-test",
    }
    cmd = [sys.executable, "-m", "api_lambda", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*cmd, "--demo-tokens", str(tokens_file)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(f"http://127.0.0.1:{port}", warehouse, lake, tokens, process)
    try:
        for _ in range(200):
            try:
                if http_get(server.base + "/v1/health", timeout=1).status_code == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the server did not start")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_tokens_are_real_tenants_and_listed_for_the_viewer(server: Server, built_warehouse):
    # When the viewer asks for the demo tokens
    listed = server.get("/v1/demo/tokens", level=None).json()["tokens"]
    # Then they are the tokens file's, and each principal is a tenant of the simulated data
    assert {t["token"]: t["principal"] for t in listed} == server.tokens
    tenants = Oracle(load_events(built_warehouse.lake.lake_root)).tenants()
    for principal in server.tokens.values():
        path = tuple(principal.get(k) for k in ("client_id", "reseller_id", "user_id") if k in principal)
        assert any(t[: len(path)] == path for t in tenants)
        response = server.get("/v1/metrics/sessions/breakdown", level=principal["level"], **_whole_range())
        assert response.status_code == 200
        assert response.json()["rows"], principal


def test_the_viewer_is_served_at_the_root_beside_the_api(server: Server):
    root = http_get(server.base + "/")
    assert root.status_code == 200
    assert "<title>viewer</title>" in root.text
    assert server.get("/v1/health", level=None).json()["status"] == "ok"
    missing = server.get("/v1/nowhere", level=None)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def _whole_range() -> dict[str, str]:
    return {"from": "2026-11-01", "to": "2026-11-30"}


def _global_breakdown(oracle: Oracle) -> dict[tuple[str, ...], tuple[int, int]]:
    from datetime import date

    return oracle.breakdown({}, "client", date(2026, 11, 1), date(2026, 11, 30))


def test_a_rebuild_while_serving_is_never_blocked_and_is_visible_next_request(server: Server, tmp_path: Path):
    # Given the served figures match the lake
    before = server.get("/v1/metrics/sessions/breakdown", **_whole_range()).json()["rows"]
    as_served = {(r["client_id"],): (r["sessions"], r["requests"]) for r in before}
    assert as_served == _global_breakdown(Oracle(load_events(server.lake)))
    # And more traffic has landed in the lake (another simulated day, ingested)
    logs = tmp_path / "more-logs"
    sim = ["--seed", "12", "--days", "1", "--sessions", "60", "--clients", "3", "--end-date", "2026-11-21"]
    run(simulate_command(logs, *sim))
    run(ingest_command(logs, "2026-11-22T00:30:00Z"), env={"LAKE_ROOT": str(server.lake)})
    # When dbt rebuilds the served warehouse while requests keep coming
    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            statuses.append(server.get("/v1/metrics/sessions", grain="day", **_whole_range()).status_code)
            stop.wait(0.2)  # leave the two cores to dbt

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        run(
            [str(VENV_BIN / "dbt"), *local_dbt_args("run")],
            env={"LAKE_ROOT": str(server.lake), "WAREHOUSE_PATH": str(server.warehouse)},
        )
    finally:
        stop.set()
        asker.join()
    # Then the build succeeded (the server held no lock on the file) and every request was answered
    assert statuses
    assert set(statuses) == {200}
    # And the next request sees the rebuilt figures, which match the grown lake
    after = server.get("/v1/metrics/sessions/breakdown", **_whole_range()).json()["rows"]
    rebuilt = {(r["client_id"],): (r["sessions"], r["requests"]) for r in after}
    assert rebuilt == _global_breakdown(Oracle(load_events(server.lake)))
    assert rebuilt != as_served


def test_demo_tokens_route_exists_only_when_asked_for(api_settings, tokens_file):
    # Given the app as the Lambda builds it (no --demo-tokens)
    app = create_app(
        api_settings, DuckDBBackend(api_settings.warehouse_path), TokensFileAuthenticator(tokens_file)
    )
    # Then the route is absent
    response = TestClient(app).get("/v1/demo/tokens")
    assert response.status_code == 404


def test_a_missing_warehouse_is_503_with_retry_after(tmp_path: Path, tokens_file):
    # Given an API pointed at a warehouse that was never built
    settings = Settings.from_env({"WAREHOUSE_PATH": str(tmp_path / "none.duckdb"), "CURSOR_SECRET": "s"})
    app = create_app(settings, DuckDBBackend(settings.warehouse_path), TokensFileAuthenticator(tokens_file))
    # When a metrics request comes in
    response = TestClient(app).get(
        "/v1/metrics/sessions", params=_whole_range(), headers={"Authorization": "Bearer t-global"}
    )
    # Then it is a 503 that says what to do, with Retry-After
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "make build" in response.json()["error"]["message"]


def test_an_incomplete_rebuild_keeps_the_last_complete_snapshot_serving(
    built_warehouse, tokens_file, tmp_path: Path
):
    import duckdb

    # Given an API serving a copy of the dbt-built warehouse
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.warehouse_path, warehouse)
    settings = Settings.from_env({"WAREHOUSE_PATH": str(warehouse), "CURSOR_SECRET": "s"})
    backend = DuckDBBackend(settings.warehouse_path)
    client = TestClient(create_app(settings, backend, TokensFileAuthenticator(tokens_file)))
    headers = {"Authorization": "Bearer t-global"}
    params = {"grain": "week", **_whole_range()}
    before = client.get("/v1/metrics/products", params=params, headers=headers)
    # When the file is replaced by a build that lacks a column the API reads
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "alter table marts.fct_product_session_day_continuations drop column previous_event_date"
        )
    after = [client.get("/v1/metrics/products", params=params, headers=headers) for _ in range(2)]
    backend.close()
    # Then the last complete snapshot keeps answering, with the same figures
    assert before.status_code == 200
    assert before.json()["products"]
    assert [response.json() for response in after] == [before.json()] * 2
