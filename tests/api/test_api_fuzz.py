"""Property-based fuzzing of the OpenAPI document, and hostile strings in every parameter.

Schemathesis generates valid and invalid requests for every operation from /v1/openapi.json and
runs them against the ASGI app in-process, over the dbt-built warehouse, with a global token:
no 5xx, status codes and bodies as documented.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.scope import ID_PATTERN
from api_lambda.settings import Settings

GLOBAL = {"Authorization": "Bearer t-global"}


def _schema_app():
    # The document does not depend on data: load it from an app whose warehouse is never opened,
    # at collection time; every generated case is then sent to the real, warehouse-backed app.
    settings = Settings.from_env({"WAREHOUSE_PATH": "/nonexistent/warehouse.duckdb", "CURSOR_SECRET": "s"})
    return create_app(
        settings, DuckDBBackend(settings.warehouse_path), TokensFileAuthenticator(Path("/nonexistent"))
    )


schema = schemathesis.openapi.from_asgi("/v1/openapi.json", _schema_app())
# Bounded so the suite stays fast: at most 40 generated cases per operation and phase.
schema.config.generation.update(max_examples=40, deterministic=True)


@schema.parametrize()
def test_no_generated_request_breaks_the_api(case, api):
    case.call_and_validate(
        app=api.app,
        headers=GLOBAL,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
        ],
    )


HOSTILE = [
    "' or 1=1 --",
    "'; DROP TABLE marts.fct_sessions; --",
    '" OR ""="',
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "\x00",
    "a" * 5000,
    "ünïcødé-ßession",
    "💥",
    "1e309",
    "-1",
    "NaN",
    "{marts}",
    "%(scope)s",
    "?",
    "acme\nX-Injected: 1",
]
ROUTE_PARAMS = {
    "/v1/metrics/sessions": {"grain": "day", "from": "2026-11-11", "to": "2026-11-20"},
    "/v1/metrics/sessions/breakdown": {
        "grain": "day",
        "from": "2026-11-11",
        "to": "2026-11-20",
        "by": "client",
    },
    "/v1/metrics/products": {"grain": "day", "from": "2026-11-11", "to": "2026-11-20", "limit": "5"},
    "/v1/sessions": {"from": "2026-11-11", "to": "2026-11-20", "limit": "5", "cursor": None},
}
SCOPE_PARAMS = ("client_id", "reseller_id", "user_id")


@pytest.mark.parametrize("route", list(ROUTE_PARAMS))
def test_hostile_strings_in_every_query_parameter_are_4xx(api, route):
    base = {k: v for k, v in ROUTE_PARAMS[route].items() if v is not None}
    for name in [*ROUTE_PARAMS[route], *SCOPE_PARAMS]:
        for value in HOSTILE:
            # When one parameter carries a hostile value and the others are valid
            response = api.get(route, params={**base, name: value}, headers=GLOBAL)
            assert response.status_code < 500, (name, value, response.status_code, response.text[:200])
            if name in SCOPE_PARAMS and re.fullmatch(ID_PATTERN, value):
                # Then a value that is a well-formed id ("-1", "NaN") is just a tenant with no data
                assert response.status_code in (200, 400), (name, value, response.text[:200])
                assert not any(response.json().get(k) for k in ("rows", "products", "sessions"))
                continue
            # Then anything else is a 4xx JSON error naming that parameter
            assert 400 <= response.status_code < 500, (name, value, response.status_code, response.text[:200])
            error = response.json()["error"]
            assert error["field"] == name, (name, value, error)
            assert "Traceback" not in response.text


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_session_ids_in_the_path_are_4xx(api, value):
    from urllib.parse import quote

    # When the path segment is hostile (URL-encoded, as a client would send it)
    response = api.get(f"/v1/sessions/{quote(value, safe='')}/requests", headers=GLOBAL)
    # Then it is a 4xx JSON error, never a 5xx
    assert 400 <= response.status_code < 500, (value, response.status_code)
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"grain": "fortnight"}, "grain"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-11-20", "to": "2026-11-11"}, "from"),
        ({"grain": "hour", "from": "2026-01-01", "to": "2026-02-15"}, "to"),
        ({"grain": "day", "from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "26-11-11"}, "from"),
    ],
)
def test_bad_ranges_name_the_field(api, params, field):
    # When a series request has a bad grain, date, order or span
    query = {"grain": "day", "from": "2026-11-11", "to": "2026-11-20", **params}
    response = api.get("/v1/metrics/sessions", params=query, headers=GLOBAL)
    # Then it is a 400 that names the field
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("limit", "status"), [("0", 400), ("1001", 400), ("abc", 400), ("1", 200), ("1000", 200)]
)
def test_limit_bounds(api, limit, status):
    for route in ("/v1/metrics/products", "/v1/sessions"):
        response = api.get(
            route, params={"from": "2026-11-11", "to": "2026-11-20", "limit": limit}, headers=GLOBAL
        )
        assert response.status_code == status, (route, limit)
