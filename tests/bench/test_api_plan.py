"""The API stage's seeded request plan: the same requests for the same seed, every route and the
floor equally often, and only parameters the API accepts."""

from __future__ import annotations

from collections import Counter
from datetime import date
from urllib.parse import parse_qs, urlsplit

from api_lambda.scope import LEVELS
from bench.stages.api import FLOOR, HOUR_SPAN_DAYS, ROUTES, World, plan, token_of


def world() -> World:
    users = [("acme", "north-shop", "u-1"), ("acme", "north-shop", "u-2"), ("globex", "north-shop", "u-1")]
    return World(
        tenants={
            "global": [{"level": "global"}],
            "client": [{"level": "client", "client_id": c} for c in ("acme", "globex")],
            "reseller": [
                {"level": "reseller", "client_id": c, "reseller_id": "north-shop"} for c in ("acme", "globex")
            ],
            "user": [{"level": "user", "client_id": c, "reseller_id": r, "user_id": u} for c, r, u in users],
        },
        sessions=[
            {"session_id": f"s-{i}", "client_id": c, "reseller_id": r, "user_id": u}
            for i, (c, r, u) in enumerate(users)
        ],
        first_day=date(2026, 10, 22),
        last_day=date(2026, 11, 21),
    )


def test_the_plan_is_fixed_by_its_seed_and_covers_every_route_equally():
    # Given the same world planned twice with seed 7 and once with seed 8
    first, again, other = plan(world(), 200, 7), plan(world(), 200, 7), plan(world(), 200, 8)
    # Then seed 7 gives the very same requests, seed 8 others, and each route and the floor 200
    assert first == again
    assert first != other
    assert Counter(p.route for p in first) == {route: 200 for route in (*ROUTES, FLOOR)}


def test_planned_parameters_stay_within_what_the_api_accepts():
    for planned in plan(world(), 200, 7):
        query = {k: v[0] for k, v in parse_qs(urlsplit(planned.url).query).items()}
        if planned.route == FLOOR:
            # The floor carries no token: /v1/health needs none
            assert planned.token == ""
            continue
        assert planned.token.startswith("bench|")
        if "from" in query:
            span = (date.fromisoformat(query["to"]) - date.fromisoformat(query["from"])).days + 1
            assert 1 <= span <= (HOUR_SPAN_DAYS if query.get("grain") == "hour" else 90)
        if "by" in query:
            # A breakdown never asks for a level above its principal's
            level = planned.token.split("|")[1]
            assert LEVELS.index(query["by"]) >= max(LEVELS.index(level), 1)


def test_session_requests_are_asked_by_a_principal_whose_scope_holds_the_session():
    sessions = {s["session_id"]: s for s in world().sessions}
    for planned in plan(world(), 200, 3):
        if planned.route != ROUTES[4]:
            continue
        session = sessions[planned.url.split("/")[3]]
        _, level, *ids = planned.token.split("|")
        expected = {"level": level, **dict(zip(("client_id", "reseller_id", "user_id"), ids, strict=True))}
        assert token_of({k: v for k, v in expected.items() if v}) == planned.token
        for key, value in zip(("client_id", "reseller_id", "user_id"), ids, strict=True):
            assert value in ("", session[key])
