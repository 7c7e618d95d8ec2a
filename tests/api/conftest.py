"""Fixtures of the API suite: the dbt-built warehouse, an oracle over its raw events, tenants
picked from the simulated data (including ones whose ids collide), tokens and app clients."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from api_oracle import Oracle, load_events
from starlette.testclient import TestClient

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.duckdb import DuckDBBackend
from api_lambda.settings import Settings


@dataclass(frozen=True)
class Tenants:
    """Principals by name, each `{"level", ids...}`, chosen so that collisions exist.

    `reseller` and `reseller_twin` share a reseller id under two clients; `user` and
    `user_twin` share a user id under two resellers of one client.
    """

    principals: dict[str, dict[str, str]]
    first_day: date
    last_day: date

    def scope(self, name: str) -> dict[str, str]:
        return {k: v for k, v in self.principals[name].items() if k != "level"}


@pytest.fixture(scope="session")
def oracle(built_warehouse) -> Oracle:
    return Oracle(load_events(built_warehouse.lake.lake_root))


@pytest.fixture(scope="session")
def tenants(oracle: Oracle) -> Tenants:
    all_tenants = oracle.tenants()
    sessions_per_reseller = Counter((e.client_id, e.reseller_id) for e in oracle.events)
    clients_per_reseller_id: dict[str, set[str]] = {}
    for client_id, reseller_id, _ in all_tenants:
        clients_per_reseller_id.setdefault(reseller_id, set()).add(client_id)
    shared = sorted(r for r, clients in clients_per_reseller_id.items() if len(clients) > 1)
    assert shared, "the simulator is expected to reuse reseller ids under several clients"
    reseller_id = shared[0]
    client_a, client_b = sorted(clients_per_reseller_id[reseller_id])[:2]
    # A user id that exists under two resellers of the same client.
    resellers_per_user: dict[tuple[str, str], set[str]] = {}
    for client_id, r, u in all_tenants:
        resellers_per_user.setdefault((client_id, u), set()).add(r)
    (user_client, user_id), user_resellers = max(
        ((key, rs) for key, rs in resellers_per_user.items() if len(rs) > 1),
        key=lambda item: sum(sessions_per_reseller[(item[0][0], r)] for r in item[1]),
    )
    user_reseller, twin_reseller = sorted(user_resellers)[:2]
    first_day, last_day = oracle.days()
    return Tenants(
        principals={
            "global": {"level": "global"},
            "client": {"level": "client", "client_id": client_a},
            "client_other": {"level": "client", "client_id": client_b},
            "reseller": {"level": "reseller", "client_id": client_a, "reseller_id": reseller_id},
            "reseller_twin": {"level": "reseller", "client_id": client_b, "reseller_id": reseller_id},
            "user": {
                "level": "user",
                "client_id": user_client,
                "reseller_id": user_reseller,
                "user_id": user_id,
            },
            "user_twin": {
                "level": "user",
                "client_id": user_client,
                "reseller_id": twin_reseller,
                "user_id": user_id,
            },
        },
        first_day=first_day,
        last_day=last_day,
    )


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
