"""Settings parsed once from the environment into a frozen dataclass (docs/contracts.md section 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

N = TypeVar("N", int, float)

DEFAULT_FILTER_PATTERN = '{ $.message = "analytics.request" }'


class SettingsError(ValueError):
    """An environment variable has a value the ingest cannot use."""


@dataclass(frozen=True)
class Settings:
    lake_root: str = "data/lake"
    lake_bucket: str | None = None
    log_group_names: tuple[str, ...] = ()
    filter_pattern: str = DEFAULT_FILTER_PATTERN
    overlap_minutes: int = 15
    settle_lag_minutes: int = 2
    max_window_minutes: int = 360
    initial_lookback_minutes: int = 60
    max_event_age_days: int = 14
    max_future_minutes: int = 60
    max_line_bytes: int = 262_144
    part_max_bytes: int = 67_108_864
    cloudwatch_max_tps: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        groups = tuple(g.strip() for g in env.get("LOG_GROUP_NAMES", "").split(",") if g.strip())
        settings = cls(
            lake_root=env.get("LAKE_ROOT") or cls.lake_root,
            lake_bucket=env.get("LAKE_BUCKET") or None,
            log_group_names=groups,
            filter_pattern=env.get("FILTER_PATTERN") or DEFAULT_FILTER_PATTERN,
            overlap_minutes=_int(env, "OVERLAP_MINUTES", cls.overlap_minutes, minimum=0),
            settle_lag_minutes=_int(env, "SETTLE_LAG_MINUTES", cls.settle_lag_minutes, minimum=0),
            max_window_minutes=_int(env, "MAX_WINDOW_MINUTES", cls.max_window_minutes, minimum=1),
            initial_lookback_minutes=_int(
                env, "INITIAL_LOOKBACK_MINUTES", cls.initial_lookback_minutes, minimum=1
            ),
            max_event_age_days=_int(env, "MAX_EVENT_AGE_DAYS", cls.max_event_age_days, minimum=1),
            max_future_minutes=_int(env, "MAX_FUTURE_MINUTES", cls.max_future_minutes, minimum=0),
            max_line_bytes=_int(env, "MAX_LINE_BYTES", cls.max_line_bytes, minimum=256),
            part_max_bytes=_int(env, "PART_MAX_BYTES", cls.part_max_bytes, minimum=1024),
            cloudwatch_max_tps=_float(env, "CLOUDWATCH_MAX_TPS", cls.cloudwatch_max_tps),
        )
        if settings.max_window_minutes <= settings.overlap_minutes:
            # Every run re-reads the overlap, so a window no longer than it would never advance.
            raise SettingsError(
                f"MAX_WINDOW_MINUTES ({settings.max_window_minutes}) must be greater than "
                f"OVERLAP_MINUTES ({settings.overlap_minutes})"
            )
        return settings


def _number(
    env: Mapping[str, str], name: str, default: N, kind: type[N], *, minimum: N, above: bool = False
) -> N:
    """One numeric variable: `default` when unset; an error naming it when it is not a number in range."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(
            f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}"
        ) from None
    if value < minimum or (above and value == minimum):
        raise SettingsError(f"{name} must be {'>' if above else '>='} {minimum}, got {value}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    return _number(env, name, default, int, minimum=minimum)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, minimum=0.0, above=True)
