"""The SQL the query layer sends to Athena, run on the dbt-built DuckDB warehouse: the Athena
branches (the sessions page's look-back windows at every level, a session's requests through
its fct_sessions row and the started_on hint) must give the oracle's answers, as the DuckDB
branches do. moto cannot run SQL, and both engines read the same marts with the same SQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from api_oracle import Oracle
from conftest import Tenants, auth
from starlette.testclient import TestClient

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend


class AthenaShapedBackend:
    """The DuckDB backend under Athena's name, so queries.py takes its Athena branches; it
    counts the statements, which is what a hint or a window saves on Athena."""

    name = "athena"

    def __init__(self, inner: DuckDBBackend) -> None:
        self.inner = inner
        self.statements = 0

    def query(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        self.statements += 1
        return self.inner.query(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def athena_shaped(api_settings, tokens_file) -> Iterator[tuple[TestClient, AthenaShapedBackend]]:
    inner = DuckDBBackend(api_settings.warehouse_path)
    backend = AthenaShapedBackend(inner)
    with TestClient(create_app(api_settings, backend, TokensFileAuthenticator(tokens_file))) as client:
        yield client, backend
    inner.close()


def day_of(instant: str) -> str:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).date().isoformat()


def test_a_sessions_requests_with_the_right_start_day_take_one_statement(athena_shaped, oracle: Oracle):
    client, backend = athena_shaped
    # Given sessions of every size, among them one that spans midnight if the data has one
    sessions = oracle.sessions({})
    spanning = [s for s in sessions if day_of(s["started_at"]) != day_of(s["ended_at"])]
    sample = sorted(sessions, key=lambda s: -s["requests"])[:2] + sessions[::97] + spanning[:2]
    for session in sample:
        # When the global principal reads it with its start day as the hint
        before = backend.statements
        response = client.get(
            f"/v1/sessions/{session['session_id']}/requests",
            params={"started_on": day_of(session["started_at"])},
            headers=auth("global"),
        )
        # Then the answer is the raw requests, from one statement
        assert response.status_code == 200, response.text
        assert response.json()["requests"] == oracle.session_requests(session["session_id"])
        assert backend.statements - before == 1


def test_a_wrong_start_day_costs_a_second_statement_but_not_the_answer(athena_shaped, oracle: Oracle):
    client, backend = athena_shaped
    session = sorted(oracle.sessions({}), key=lambda s: -s["requests"])[0]
    started = date.fromisoformat(day_of(session["started_at"]))
    for wrong in (started - timedelta(days=1), started + timedelta(days=1)):
        # When the hint names a day the session did not start on
        before = backend.statements
        response = client.get(
            f"/v1/sessions/{session['session_id']}/requests",
            params={"started_on": wrong.isoformat()},
            headers=auth("global"),
        )
        # Then the unhinted query answers, exactly
        assert response.status_code == 200, response.text
        assert response.json()["requests"] == oracle.session_requests(session["session_id"])
        assert backend.statements - before == 2


def test_a_hint_does_not_open_another_tenants_session(athena_shaped, oracle: Oracle, tenants: Tenants):
    client, _ = athena_shaped
    # Given a session of another client than the principal's
    other = next(s for s in oracle.sessions(tenants.scope("client_other")))
    # When the client asks for it with its right start day
    response = client.get(
        f"/v1/sessions/{other['session_id']}/requests",
        params={"started_on": day_of(other["started_at"])},
        headers=auth("client"),
    )
    # Then it is 404, as for a session that does not exist
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_malformed_hint_is_400(athena_shaped):
    client, _ = athena_shaped
    response = client.get(
        "/v1/sessions/s-1/requests", params={"started_on": "2026-13-01"}, headers=auth("global")
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "started_on"


@pytest.mark.parametrize("who", ["client", "reseller", "user"])
def test_sessions_pages_from_athenas_windows_cover_the_range_once(
    athena_shaped, oracle, tenants: Tenants, who
):
    client, _ = athena_shaped
    # Given a range inside the data and a page size of about a quarter of its sessions
    start, end = tenants.first_day + timedelta(days=1), tenants.last_day - timedelta(days=1)
    expected = oracle.sessions(tenants.scope(who), start, end)
    assert expected
    limit = max(1, len(expected) // 4)
    seen, cursor = [], None
    # When the principal pages through it, every page read from look-back windows (Athena reads
    # them at every level, a user's too)
    for _ in range(500):
        params = {
            "limit": limit,
            "from": str(start),
            "to": str(end),
            **({"cursor": cursor} if cursor else {}),
        }
        body = client.get("/v1/sessions", params=params, headers=auth(who)).json()
        seen += body["sessions"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    # Then every overlapping session comes once, newest first
    assert seen == expected
