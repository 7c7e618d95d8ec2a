"""Principals and scopes: who is asking, what they asked for, and what they may see.

A scope is a path in the tenancy tree: nothing (global), a client, a reseller inside a client or
a user inside a reseller. Ids are only unique within their parent, so a scope always carries the
whole path: reseller `north` under client `acme` and `north` under `globex` are two tenants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from api_lambda.errors import bad_request, forbidden

Level = Literal["global", "client", "reseller", "user"]
LEVELS: tuple[Level, ...] = ("global", "client", "reseller", "user")
ID_KEYS = ("client_id", "reseller_id", "user_id")
ID_PATTERN = r"^[A-Za-z0-9._:@-]{1,128}$"
_ID_RE = re.compile(ID_PATTERN)


class InvalidPrincipal(ValueError):
    """The token's principal (tokens file entry or JWT claims) is malformed."""


@dataclass(frozen=True)
class Scope:
    client_id: str | None = None
    reseller_id: str | None = None
    user_id: str | None = None

    @property
    def level(self) -> Level:
        return LEVELS[self.depth]

    @property
    def depth(self) -> int:
        return sum(1 for key in ID_KEYS if getattr(self, key) is not None)

    def ids(self) -> dict[str, str]:
        """The ids that are set, in path order (client, reseller, user)."""
        return {key: value for key in ID_KEYS if (value := getattr(self, key)) is not None}

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, **self.ids()}

    def binding(self) -> str:
        """A canonical string naming this tenant; `|` cannot occur inside an id."""
        return "|".join([self.level, *self.ids().values()])


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def principal_from_mapping(data: Mapping[str, Any]) -> Scope:
    """Parse `{"level", "client_id"?, "reseller_id"?, "user_id"?}` (docs/contracts.md §4).

    The level must name exactly the ids it needs: a `client` principal that also carried a
    `reseller_id` is ambiguous, so it is refused instead of guessed at.
    """
    level = data.get("level")
    if level not in LEVELS:
        raise InvalidPrincipal(f"level must be one of {', '.join(LEVELS)}")
    depth = LEVELS.index(level)
    values: dict[str, str] = {}
    for index, key in enumerate(ID_KEYS):
        value = data.get(key)
        if value in (None, ""):
            if index < depth:
                raise InvalidPrincipal(f"a {level} principal needs {key}")
            continue
        if index >= depth:
            raise InvalidPrincipal(f"a {level} principal must not carry {key}")
        if not is_valid_id(value):
            raise InvalidPrincipal(f"{key} is not a valid id")
        values[key] = value
    return Scope(**values)


def resolve_scope(
    principal: Scope,
    client_id: str | None = None,
    reseller_id: str | None = None,
    user_id: str | None = None,
) -> Scope:
    """The scope a request reads: its scope parameters, defaulted from the principal.

    Omitted parameters take the principal's value, so a reseller principal asking for
    `user_id=u-1` reads that user under its own reseller. A request that names anything outside
    the principal's subtree gets 403.
    """
    requested = {"client_id": client_id, "reseller_id": reseller_id, "user_id": user_id}
    merged = {
        key: requested[key] if requested[key] is not None else getattr(principal, key) for key in ID_KEYS
    }
    for child, parent in (("reseller_id", "client_id"), ("user_id", "reseller_id")):
        if merged[child] is not None and merged[parent] is None:
            raise bad_request(f"{child} is only unique within its parent: give {parent} too", field=parent)
    for key, value in principal.ids().items():
        if merged[key] != value:
            raise forbidden("the requested scope is outside the scope of your token", field=key)
    return Scope(**merged)


def breakdown_level(scope: Scope, by: str | None) -> Level:
    """The level a breakdown groups by: one below the scope by default, never above it.

    A user scope has nothing below it, so its breakdown is the user itself (one row).
    """
    if by is None:
        return LEVELS[min(scope.depth + 1, len(LEVELS) - 1)]
    if by not in LEVELS[1:]:
        raise bad_request("by must be one of client, reseller, user", field="by")
    if LEVELS.index(by) < max(scope.depth, 1):
        raise bad_request(f"by={by} is above the {scope.level} scope being read", field="by")
    return by  # type: ignore[return-value]
