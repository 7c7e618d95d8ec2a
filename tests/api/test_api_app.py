"""App wiring that needs no built warehouse: the tokens file, headers, methods, error bodies, the budget."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _client(tmp_path: Path, tokens: dict, **env: str) -> TestClient:
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps(tokens))
    settings = Settings.from_env(
        {"WAREHOUSE_PATH": str(tmp_path / "absent.duckdb"), "CURSOR_SECRET": "s", **env}
    )
    return TestClient(
        create_app(settings, DuckDBBackend(settings.warehouse_path), TokensFileAuthenticator(tokens_file))
    )


def test_cors_is_left_to_api_gateway(tmp_path: Path):
    # Given the app (API Gateway's cors_configuration answers preflights in AWS)
    client = _client(tmp_path, {})
    # When a browser sends a preflight and a cross-origin GET
    preflight = client.options(
        "/v1/health", headers={"Origin": "https://viewer.example.com", "Access-Control-Request-Method": "GET"}
    )
    simple = client.get("/v1/health", headers={"Origin": "https://viewer.example.com"})
    # Then the app itself grants nothing: OPTIONS is not one of its methods
    assert (preflight.status_code, preflight.json()["error"]["code"]) == (405, "method_not_allowed")
    assert "access-control-allow-origin" not in simple.headers


def test_two_authorization_headers_are_refused(tmp_path: Path):
    # Given a valid token and another one
    client = _client(tmp_path, {"good": {"level": "global"}, "other": {"level": "global"}})
    # When a request carries two Authorization headers (the last one used to win)
    response = client.get(
        "/v1/sessions", headers=[("Authorization", "Bearer good"), ("Authorization", "Bearer other")]
    )
    # Then it is a 400 that names the header
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_header",
        "message": "send exactly one Authorization header",
        "field": "Authorization",
    }


def test_malformed_token_entries_are_skipped_and_the_file_is_reread(tmp_path: Path):
    # Given a tokens file with one good and two malformed entries
    client = _client(
        tmp_path,
        {
            "good": {"level": "client", "client_id": "acme"},
            "no-client": {"level": "client"},
            "not-an-object": "global",
        },
    )
    headers = {"Authorization": "Bearer good"}
    # Then the good token passes auth (and reaches the backend: no warehouse, 503) and the others are 401
    assert client.get("/v1/sessions", headers=headers).status_code == 503
    for token in ("no-client", "not-an-object"):
        assert client.get("/v1/sessions", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # And when the file changes, the next request sees it
    (tmp_path / "tokens.json").write_text(json.dumps({"fresh": {"level": "global"}}))
    assert client.get("/v1/sessions", headers=headers).status_code == 401
    assert client.get("/v1/sessions", headers={"Authorization": "Bearer fresh"}).status_code == 503


def test_unknown_routes_and_methods_get_json_errors(tmp_path: Path):
    client = _client(tmp_path, {})
    missing = client.get("/v1/nothing-here")
    wrong_method = client.post("/v1/health")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (405, "method_not_allowed")
    # And Allow names every method the route answers: GET, and HEAD, which every GET route takes
    assert wrong_method.headers["allow"] == "GET, HEAD"
    head = client.head("/v1/health")
    assert (head.status_code, head.content) == (200, b"")


def test_a_warehouse_without_the_api_marts_is_503_not_500(tmp_path: Path):
    import duckdb

    # Given a warehouse file built by an older project: its continuation mart lacks columns
    warehouse = tmp_path / "old.duckdb"
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.fct_session_day_continuations (session_id varchar, event_date date)")
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps({"good": {"level": "global"}}))
    settings = Settings.from_env({"WAREHOUSE_PATH": str(warehouse), "CURSOR_SECRET": "s"})
    backend = DuckDBBackend(settings.warehouse_path)
    client = TestClient(create_app(settings, backend, TokensFileAuthenticator(tokens_file)))
    # When a route is asked twice
    answers = [
        client.get(
            "/v1/metrics/sessions",
            params={"from": "2026-11-01", "to": "2026-11-02"},
            headers={"Authorization": "Bearer good"},
        )
        for _ in range(2)
    ]
    backend.close()
    # Then both are 503s that say what to do, never a 500
    for response in answers:
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert "make build" in response.json()["error"]["message"]


def test_every_error_code_sent_is_documented(tmp_path: Path):
    from api_lambda.app import Api
    from api_lambda.errors import ERROR_CODES, ApiError

    # Given the OpenAPI document's list of error codes
    document = Api(Settings.from_env({"CURSOR_SECRET": "s"}), None, None).openapi()  # type: ignore[arg-type]
    documented = document["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"]
    # Then it is the list the code raises from, and an undocumented code cannot be raised
    assert documented == list(ERROR_CODES)
    with pytest.raises(ValueError, match="made_up"):
        ApiError(400, "made_up", "x")
    # And the codes the API's source writes are exactly those: none undocumented, none unused
    import re

    source = "\n".join(p.read_text() for p in (REPO / "api_lambda").rglob("*.py"))
    written = set(re.findall(r'ApiError\(\s*\d+,\s*"([a-z_]+)"|code(?:: str)? ?= ?"([a-z_]+)"', source))
    written_codes = {code for pair in written for code in pair if code}
    assert written_codes == set(ERROR_CODES), sorted(written_codes ^ set(ERROR_CODES))


class SlowEmptyMarts:
    """A backend whose every query takes a while and finds nothing: requests overlap in it."""

    name = "duckdb"
    marts = "marts"

    def query(self, sql: str, params: object) -> list:
        import time

        time.sleep(0.05)
        return []

    def pinned(self) -> contextlib.nullcontext:
        return contextlib.nullcontext()


def test_concurrent_requests_each_get_their_own_answer(tmp_path: Path, capsys: pytest.CaptureFixture):
    import json as json_module
    from concurrent.futures import ThreadPoolExecutor

    from api_lambda.metrics import RouteMetrics

    # Given the app (one Powertools resolver, whose per-request state is kept per thread) over
    # marts whose queries are slow, and requests of different routes, outcomes and methods
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps({"good": {"level": "global"}}))
    settings = Settings.from_env({"CURSOR_SECRET": "s"})
    metrics = RouteMetrics("RequestAnalytics", "test")
    client = TestClient(
        create_app(settings, SlowEmptyMarts(), TokensFileAuthenticator(tokens_file), metrics=metrics)
    )
    good = {"Authorization": "Bearer good"}
    asks = [
        ("GET", "/v1/sessions", good, 200, None, "/v1/sessions"),
        ("GET", "/v1/health", {}, 200, None, "/v1/health"),
        ("GET", "/v1/sessions/s-1/requests", good, 404, "not_found", "/v1/sessions/{session_id}/requests"),
        ("GET", "/v1/nothing-here", {}, 404, "not_found", "(unmatched)"),
        ("GET", "/v1/sessions", {}, 401, "unauthorized", "/v1/sessions"),
        ("POST", "/v1/health", {}, 405, "method_not_allowed", "(unmatched)"),
        ("GET", "/v1/metrics/sessions", good, 400, "invalid_parameter", "/v1/metrics/sessions"),
    ] * 8
    capsys.readouterr()

    def ask(spec: tuple) -> tuple[int, str | None]:
        method, path, headers = spec[:3]
        response = client.request(method, path, headers=headers)
        return response.status_code, response.json().get("error", {}).get("code")

    # When they are sent from eight threads at once
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, asks))
    records = [json_module.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    # Then every request got the answer of its own route, and was counted under its own route
    assert answers == [(status, code) for _, _, _, status, code, _ in asks]
    assert sorted(r["route"] for r in records) == sorted(route for *_, route in asks)


def test_the_local_server_can_print_the_lambdas_metric_records(tmp_path: Path, capsys: pytest.CaptureFixture):
    import json as json_module

    from api_lambda.metrics import RouteMetrics

    # Given the app with the Lambda's metric records on
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text("{}")
    settings = Settings.from_env({"WAREHOUSE_PATH": str(tmp_path / "absent.duckdb"), "CURSOR_SECRET": "s"})
    client = TestClient(
        create_app(
            settings,
            DuckDBBackend(settings.warehouse_path),
            TokensFileAuthenticator(tokens_file),
            metrics=RouteMetrics(settings.metrics_namespace, "local"),
        )
    )
    capsys.readouterr()
    # When a session's requests are asked for (no token: 401), and health with HEAD
    client.get("/v1/sessions/s-123/requests")
    client.head("/v1/health")
    records = [json_module.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    # Then each printed one record under its route's template, in the default namespace
    assert [r["route"] for r in records] == ["/v1/sessions/{session_id}/requests", "/v1/health"]
    assert {r["_aws"]["CloudWatchMetrics"][0]["Namespace"] for r in records} == {"RequestAnalytics"}
