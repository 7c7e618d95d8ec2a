"""Fixtures of the API suite: the dbt-built warehouse, an oracle over its raw events, tenants
picked from the simulated data (including ones whose ids collide), tokens and app clients."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_oracle import Oracle, Tenants, load_events, pick_tenants
from starlette.testclient import TestClient

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.settings import Settings


@pytest.fixture(scope="session")
def oracle(built_warehouse) -> Oracle:
    return Oracle(load_events(built_warehouse.lake.lake_root))


@pytest.fixture(scope="session")
def tenants(oracle: Oracle) -> Tenants:
    return pick_tenants(oracle)


@pytest.fixture(scope="session")
def tokens_file(tenants: Tenants, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    path.write_text(json.dumps({f"t-{name}": principal for name, principal in tenants.principals.items()}))
    return path


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer t-{name}"}


@pytest.fixture(scope="session")
def api_settings(built_warehouse) -> Settings:
    return Settings.from_env(
        {"WAREHOUSE_PATH": str(built_warehouse.warehouse_path), "CURSOR_SECRET": "test-secret"}
    )


@pytest.fixture(scope="session")
def api(api_settings: Settings, tokens_file: Path) -> Iterator[TestClient]:
    backend = DuckDBBackend(api_settings.warehouse_path)
    app = create_app(api_settings, backend, TokensFileAuthenticator(tokens_file))
    with TestClient(app) as client:
        yield client
    backend.close()


@pytest.fixture(scope="session")
def get(api: TestClient) -> Callable[..., object]:
    """`get(token_name, url, **params)` -> the response."""

    def _get(who: str | None, url: str, **params: object):
        return api.get(url, params=params, headers=auth(who) if who else {})

    return _get
