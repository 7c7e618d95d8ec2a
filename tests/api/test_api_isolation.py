"""The tenant-isolation matrix: every level against every route, with colliding ids.

The simulator reuses reseller ids under several clients and user ids under several resellers;
`tenants` picks such twins, so a scope check that compared a bare child id would leak here.
"""

from __future__ import annotations

import pytest
from api_oracle import Tenants

LEVELS = ["global", "client", "reseller", "user", "reseller_twin", "user_twin"]
SCOPED_ROUTES = [
    "/v1/metrics/sessions",
    "/v1/metrics/sessions/breakdown",
    "/v1/metrics/products",
    "/v1/sessions",
]


def _range(tenants: Tenants) -> dict[str, str]:
    return {"from": str(tenants.first_day), "to": str(tenants.last_day)}


def _within(row: dict[str, str], scope: dict[str, str]) -> bool:
    return all(row.get(key) == value for key, value in scope.items())


@pytest.mark.parametrize("who", LEVELS)
def test_each_level_reads_its_own_scope_on_every_route(get, oracle, tenants: Tenants, who):
    scope = tenants.scope(who)
    # Given a principal and no scope parameters
    for route in SCOPED_ROUTES:
        # When it calls each scoped route
        response = get(who, route, **_range(tenants), **({"limit": 1000} if route == "/v1/sessions" else {}))
        # Then the answer is its own scope and nothing outside it
        assert response.status_code == 200, (route, response.text)
        body = response.json()
        if "scope" in body:
            assert body["scope"] == tenants.principals[who]
        for row in body.get("rows", []) + body.get("sessions", []):
            assert _within(row, scope), (route, row)
    listed = get(who, "/v1/sessions", limit=1000).json()["sessions"]
    assert {s["session_id"] for s in listed} == {s["session_id"] for s in oracle.sessions(scope)}
    # And its own sessions open
    own = oracle.sessions(scope)[0]["session_id"]
    assert get(who, f"/v1/sessions/{own}/requests").status_code == 200


def _cross_attempts(t: Tenants) -> list[tuple[str, dict[str, str], str]]:
    """(principal, scope parameters, why) that all point outside the principal's scope."""
    p = t.principals
    return [
        ("client", {"client_id": p["client_other"]["client_id"]}, "another client"),
        ("reseller", {"client_id": p["reseller_twin"]["client_id"]}, "same reseller id, other client"),
        ("reseller_twin", {"client_id": p["reseller"]["client_id"]}, "same reseller id, other client"),
        ("reseller", {"reseller_id": "no-such-reseller"}, "another reseller"),
        ("user", {"reseller_id": p["user_twin"]["reseller_id"]}, "same user id, other reseller"),
        ("user_twin", {"reseller_id": p["user"]["reseller_id"]}, "same user id, other reseller"),
        ("user", {"user_id": "someone-else"}, "another user"),
        ("user", {"client_id": p["client_other"]["client_id"]}, "another client"),
        (
            "user",
            {"client_id": p["reseller_twin"]["client_id"], "reseller_id": p["user"]["reseller_id"]},
            "own reseller id under another client",
        ),
    ]


@pytest.mark.parametrize("route", SCOPED_ROUTES)
def test_a_scope_outside_the_principal_gets_403_on_every_route(get, tenants: Tenants, route):
    for who, params, why in _cross_attempts(tenants):
        # When a principal names a scope outside its own
        response = get(who, route, **_range(tenants), **params)
        # Then it gets 403 with the JSON error naming the field, and no data
        assert response.status_code == 403, (who, params, why, response.text)
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert error["field"] in params
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("who", "narrower"),
    [
        ("global", ["client_id", "reseller_id"]),
        ("client", ["reseller_id"]),
        ("reseller", ["user_id"]),
    ],
)
def test_a_principal_may_narrow_to_its_descendants(get, oracle, tenants: Tenants, who, narrower):
    # Given a descendant of the principal (the user twin's tenant lies under client/reseller paths)
    target = {
        "global": tenants.scope("reseller_twin"),
        "client": {"reseller_id": tenants.scope("reseller")["reseller_id"]},
        "reseller": {"user_id": oracle.sessions(tenants.scope("reseller"))[0]["user_id"]},
    }[who]
    params = {key: target[key] for key in narrower}
    # When it asks for that descendant
    body = get(who, "/v1/metrics/sessions", grain="month", **_range(tenants), **params).json()
    # Then the scope is the full path and the totals are that tenant's raw figures
    full = {k: v for k, v in body["scope"].items() if k != "level"}
    assert full == {**tenants.scope(who), **params}
    expected = oracle.series(full, "month", tenants.first_day, tenants.last_day)["points"]
    assert [(p["sessions"], p["requests"]) for p in body["series"]] == [(s, r) for _, s, r in expected]


@pytest.mark.parametrize(
    ("who", "owner"),
    [
        ("client", "client_other"),
        ("reseller", "reseller_twin"),
        ("reseller_twin", "reseller"),
        ("user", "user_twin"),
        ("user_twin", "user"),
    ],
)
def test_a_session_outside_the_principal_is_404_like_a_missing_one(get, oracle, tenants: Tenants, who, owner):
    # Given a session of a tenant that shares an id with the principal's
    theirs = oracle.sessions(tenants.scope(owner))[0]["session_id"]
    # When the principal asks for it, and for a session that does not exist
    foreign = get(who, f"/v1/sessions/{theirs}/requests")
    missing = get(who, "/v1/sessions/no-such-session/requests")
    # Then both are the same 404: existence is not revealed
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    # And its owner and the global principal can read it
    assert get(owner, f"/v1/sessions/{theirs}/requests").status_code == 200
    assert get("global", f"/v1/sessions/{theirs}/requests").status_code == 200


def test_breakdown_never_goes_above_the_scope(get, tenants: Tenants):
    # When a reseller asks to group by client
    response = get("reseller", "/v1/metrics/sessions/breakdown", by="client", **_range(tenants))
    # Then it is a 400 naming `by`
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "by"


@pytest.mark.parametrize("route", [*SCOPED_ROUTES, "/v1/sessions/x/requests"])
def test_no_token_or_an_unknown_token_gets_401(api, tenants: Tenants, route):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = api.get(route, params=_range(tenants), headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"
