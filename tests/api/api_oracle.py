"""Independent expected figures, computed in plain Python from the RAW lake files.

Reads every gzip NDJSON object under `<lake>/raw/`, keeps one event per request_id (delivery is
at-least-once), and answers each API question directly from the events. It shares no code with
the API or the dbt project, so an error in either shows up as a mismatch.

Sessions follow the dbt docs' rule (doc block `session_user`): a session is a session_id within
its reseller (the same id under two resellers is two sessions), and it belongs to the user of
its first request (earliest occurred_at, then request_id): its requests and products count for
that user. A session's requests (`session_requests`) are the requests as logged.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

TENANT_KEYS = ("client_id", "reseller_id", "user_id")


@dataclass(frozen=True)
class Event:
    request_id: str
    session_id: str
    client_id: str
    reseller_id: str
    user_id: str
    occurred_at: datetime
    method: str
    path: str
    status: int
    duration_ms: int
    products: tuple[dict[str, Any], ...]

    def tenant(self) -> tuple[str, str, str]:
        return (self.client_id, self.reseller_id, self.user_id)

    def session(self) -> tuple[str, str, str]:
        """The session this request belongs to: its id within the request's reseller."""
        return (self.client_id, self.reseller_id, self.session_id)


def owned_by_session_users(events: list[Event]) -> list[Event]:
    """The events with each one's user_id replaced by its session's user (its first request's)."""
    first: dict[tuple[str, str, str], Event] = {}
    for event in events:
        held = first.get(event.session())
        if held is None or (event.occurred_at, event.request_id) < (held.occurred_at, held.request_id):
            first[event.session()] = event
    return [replace(e, user_id=first[e.session()].user_id) for e in events]


def _parse_instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def load_events(lake_root: Path) -> list[Event]:
    seen: dict[str, Event] = {}
    for part in sorted((lake_root / "raw").rglob("*.json.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as lines:
            for line in lines:
                raw = json.loads(line)
                if raw["request_id"] in seen:
                    continue
                seen[raw["request_id"]] = Event(
                    request_id=raw["request_id"],
                    session_id=raw["session_id"],
                    client_id=raw["client_id"],
                    reseller_id=raw["reseller_id"],
                    user_id=raw["user_id"],
                    occurred_at=_parse_instant(raw["occurred_at"]),
                    method=raw["method"],
                    path=raw["path"],
                    status=raw["status"],
                    duration_ms=raw["duration_ms"],
                    products=tuple(raw["products"]),
                )
    return list(seen.values())


def in_scope(event: Event, scope: dict[str, str]) -> bool:
    return all(getattr(event, key) == value for key, value in scope.items() if key in TENANT_KEYS)


def period_of(moment: datetime, grain: str) -> datetime:
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "week":
        return day - timedelta(days=day.isoweekday() - 1)
    if grain == "month":
        return day.replace(day=1)
    return day


def widen(start: date, end: date, grain: str) -> tuple[date, date]:
    """Whole periods: Monday..Sunday weeks, 1st..last-of-month months."""
    if grain == "week":
        return start - timedelta(days=start.isoweekday() - 1), end + timedelta(days=7 - end.isoweekday())
    if grain == "month":
        after = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
        return start.replace(day=1), after - timedelta(days=1)
    return start, end


def _all_periods(start: date, end: date, grain: str) -> list[datetime]:
    moment = datetime(start.year, start.month, start.day)
    stop = datetime(end.year, end.month, end.day) + timedelta(days=1)
    periods: list[datetime] = []
    while moment < stop:
        if period_of(moment, grain) == moment and moment not in periods:
            periods.append(moment)
        moment += timedelta(hours=1)
    return periods


class Oracle:
    def __init__(self, events: list[Event]) -> None:
        self.logged = events  # each request with its own logged user
        self.events = owned_by_session_users(events)  # each request with its session's user

    def _selected(self, scope: dict[str, str], start: date, end: date) -> list[Event]:
        return [e for e in self.events if in_scope(e, scope) and start <= e.occurred_at.date() <= end]

    def series(self, scope: dict[str, str], grain: str, start: date, end: date) -> dict[str, Any]:
        first, last = widen(start, end, grain)
        sessions: dict[datetime, set[tuple[str, str, str]]] = defaultdict(set)
        requests: dict[datetime, set[str]] = defaultdict(set)
        for event in self._selected(scope, first, last):
            period = period_of(event.occurred_at, grain)
            sessions[period].add(event.session())
            requests[period].add(event.request_id)
        points = [
            (p.strftime("%Y-%m-%dT%H:%M:%SZ"), len(sessions[p]), len(requests[p]))
            for p in _all_periods(first, last, grain)
        ]
        return {"from": first.isoformat(), "to": last.isoformat(), "points": points}

    def breakdown(
        self, scope: dict[str, str], by: str, start: date, end: date
    ) -> dict[tuple[str, ...], tuple]:
        width = TENANT_KEYS.index(f"{by}_id") + 1
        sessions: dict[tuple[str, ...], set[tuple[str, str, str]]] = defaultdict(set)
        requests: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for event in self._selected(scope, start, end):
            key = event.tenant()[:width]
            sessions[key].add(event.session())
            requests[key].add(event.request_id)
        return {key: (len(sessions[key]), len(requests[key])) for key in sessions}

    def products(
        self, scope: dict[str, str], start: date, end: date
    ) -> dict[tuple[str, str], dict[str, Any]]:
        figures: dict[tuple[str, str], dict[str, Any]] = {}
        for event in self._selected(scope, start, end):
            for line in event.products:
                key = (line["product_id"], line["currency"])
                row = figures.setdefault(
                    key,
                    {
                        "name": line["name"],
                        "category": line["category"],
                        "requests": set(),
                        "sessions": set(),
                        "quantity": 0,
                        "revenue": Decimal(0),
                    },
                )
                row["requests"].add(event.request_id)
                row["sessions"].add(event.session())
                row["quantity"] += line["quantity"]
                row["revenue"] += Decimal(str(line["unit_price"])) * line["quantity"]
        return {
            key: {**row, "requests": len(row["requests"]), "sessions": len(row["sessions"])}
            for key, row in figures.items()
        }

    def sessions(
        self, scope: dict[str, str], start: date | None = None, end: date | None = None
    ) -> list[dict]:
        grouped: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
        for event in self.events:
            if in_scope(event, scope):
                grouped[event.session()].append(event)
        rows = []
        for (_, _, session_id), events in grouped.items():
            first = min(e.occurred_at for e in events)
            last = max(e.occurred_at for e in events)
            if start is not None and last < datetime(start.year, start.month, start.day):
                continue
            if end is not None and first >= datetime(end.year, end.month, end.day) + timedelta(days=1):
                continue
            head = events[0]
            rows.append(
                {
                    "session_id": session_id,
                    "client_id": head.client_id,
                    "reseller_id": head.reseller_id,
                    "user_id": head.user_id,
                    "started_at": first.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "ended_at": last.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "requests": len({e.request_id for e in events}),
                }
            )
        rows.sort(key=lambda r: (r["started_at"], r["session_id"]), reverse=True)
        return rows

    def session_requests(self, session_id: str) -> list[dict[str, Any]]:
        events = sorted(
            (e for e in self.logged if e.session_id == session_id),
            key=lambda e: (e.occurred_at, e.request_id),
        )
        return [
            {
                "request_id": e.request_id,
                "occurred_at": e.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "method": e.method,
                "path": e.path,
                "status": e.status,
                "duration_ms": e.duration_ms,
                "products": [
                    {
                        k: line[k]
                        for k in ("product_id", "name", "category", "unit_price", "currency", "quantity")
                    }
                    for line in e.products
                ],
            }
            for e in events
        ]

    def tenants(self) -> set[tuple[str, str, str]]:
        return {e.tenant() for e in self.events}

    def days(self) -> tuple[date, date]:
        moments = [e.occurred_at.date() for e in self.events]
        return min(moments), max(moments)


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


def pick_tenants(oracle: Oracle) -> Tenants:
    """Principals of every level from the simulated data, chosen so that ids collide."""
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
