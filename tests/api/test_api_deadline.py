"""One time budget per request: past it the answer is 503 with Retry-After and the query stops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api_lambda import deadline, queries
from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.settings import Settings

# Minutes of work for DuckDB on two cores: no real route comes near it.
ENDLESS_SQL = "SELECT sum(hash(i)) AS s FROM range(100000000000) AS t(i)"


@pytest.fixture
def backend(built_warehouse):
    backend = DuckDBBackend(built_warehouse.warehouse_path)
    yield backend
    backend.close()


def test_a_query_past_the_budget_is_interrupted_and_the_backend_answers_again(backend: DuckDBBackend):
    # Given a request with half a second of budget
    with deadline.budget(0.5), pytest.raises(deadline.DeadlineExceeded) as raised:
        # When its query would run for minutes
        backend.query(ENDLESS_SQL, [])
    # Then it was stopped (it raised instead of returning its sum) with a retryable 503
    error = raised.value.as_api_error()
    assert error.status == 503
    assert error.headers["Retry-After"] == "1"
    assert "0.5 s budget" in error.message
    # And nothing of it keeps running: the same snapshot answers the next query at once
    assert backend.query("SELECT 42 AS answer", []) == [{"answer": 42}]


def test_a_request_that_used_up_its_budget_runs_no_further_query(backend: DuckDBBackend):
    # Given a request whose budget is already spent
    with deadline.budget(0.0), pytest.raises(deadline.DeadlineExceeded):
        # When a query is asked for
        backend.query("SELECT 1 AS one", [])
    # Then it was refused before running; outside a request there is no budget
    assert deadline.remaining() is None


def test_a_slow_route_answers_503_with_retry_after(
    built_warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Given an API with a short budget, whose series query is (made) endless
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"good": {"level": "global"}}))
    settings = Settings.from_env(
        {
            "WAREHOUSE_PATH": str(built_warehouse.warehouse_path),
            "CURSOR_SECRET": "s",
            "API_REQUEST_BUDGET_SECONDS": "0.5",
        }
    )
    backend = DuckDBBackend(settings.warehouse_path)
    monkeypatch.setattr(
        queries, "session_series", lambda backend, scope, date_range: backend.query(ENDLESS_SQL, [])
    )
    client = TestClient(create_app(settings, backend, TokensFileAuthenticator(tokens)))
    # When the route is asked
    response = client.get(
        "/v1/metrics/sessions",
        params={"from": "2026-11-11", "to": "2026-11-20"},
        headers={"Authorization": "Bearer good"},
    )
    backend.close()
    # Then the answer is the documented 503, not a 500 or a hang
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "backend_unavailable"


def test_the_budget_must_stay_under_api_gateways_limit():
    from api_lambda.settings import SettingsError

    with pytest.raises(SettingsError, match="API_REQUEST_BUDGET_SECONDS"):
        Settings.from_env({"API_REQUEST_BUDGET_SECONDS": "29"})
