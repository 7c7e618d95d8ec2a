"""Settings of the API, parsed once from the environment (docs/contracts.md §2)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

T = TypeVar("T", int, float)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; raised at start-up, never per request."""


@dataclass(frozen=True)
class Settings:
    backend: Literal["duckdb", "athena"] = "duckdb"
    warehouse_path: Path = Path("data/warehouse.duckdb")
    marts_schema: str = "marts"
    tokens_file: Path = Path("data/tokens.json")
    cursor_secret: bytes = b""
    cursor_secret_is_random: bool = True
    athena_workgroup: str = ""
    athena_database: str = ""
    athena_result_reuse_minutes: int = 60
    athena_query_timeout_seconds: float = 20.0
    viewer_dir: Path = Path("viewer/dist")
    # All of a request's work, every query included; under API Gateway's 29 s integration limit.
    request_budget_seconds: float = 20.0
    # CloudWatch namespace of the per-route metrics (api_lambda/metrics.py).
    metrics_namespace: str = "RequestAnalytics"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        backend = env.get("API_BACKEND", "duckdb").strip().lower()
        if backend not in ("duckdb", "athena"):
            raise SettingsError(f"API_BACKEND must be 'duckdb' or 'athena', not {backend!r}")
        secret = env.get("CURSOR_SECRET", "")
        settings = cls(
            backend=backend,  # type: ignore[arg-type]
            warehouse_path=Path(env.get("WAREHOUSE_PATH", "data/warehouse.duckdb")),
            marts_schema=_identifier(env, "API_MARTS_SCHEMA", "marts"),
            tokens_file=Path(env.get("API_TOKENS_FILE", "data/tokens.json")),
            # A random key per process is fine locally; in AWS every container must share one key
            # or a cursor issued by one container fails verification in another.
            cursor_secret=secret.encode() if secret else secrets.token_bytes(32),
            cursor_secret_is_random=not secret,
            athena_workgroup=env.get("ATHENA_WORKGROUP", ""),
            athena_database=env.get("ATHENA_DATABASE", ""),
            athena_result_reuse_minutes=_number(env, "ATHENA_RESULT_REUSE_MINUTES", 60, int, 0, 10080),
            athena_query_timeout_seconds=_number(env, "ATHENA_QUERY_TIMEOUT_SECONDS", 20.0, float, 0.1, 900),
            viewer_dir=Path(env.get("VIEWER_DIR", "viewer/dist")),
            request_budget_seconds=_number(env, "API_REQUEST_BUDGET_SECONDS", 20.0, float, 0.1, 28),
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE") or "RequestAnalytics",
        )
        if backend == "athena":
            if not settings.athena_workgroup or not settings.athena_database:
                raise SettingsError("API_BACKEND=athena needs ATHENA_WORKGROUP and ATHENA_DATABASE")
            if not _IDENTIFIER.match(settings.athena_database):
                raise SettingsError(
                    f"ATHENA_DATABASE is not a plain identifier: {settings.athena_database!r}"
                )
        return settings


def _identifier(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default)
    if not _IDENTIFIER.match(value):
        raise SettingsError(f"{name} is not a plain identifier: {value!r}")
    return value


def _number(env: Mapping[str, str], name: str, default: T, kind: type[T], low: float, high: float) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {raw!r}")
    return value
