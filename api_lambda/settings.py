"""Settings of the API, parsed once from the environment (docs/contracts.md §2)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T", int, float)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# The pointer's URL goes into SQL as a literal: a plain s3:// key, no quote.
_POINTER = re.compile(r"^s3://[a-z0-9.\-]{3,63}/[A-Za-z0-9_./\-]+\.json$")


class SettingsError(ValueError):
    """A setting is missing or malformed; raised at start-up, never per request."""


@dataclass(frozen=True)
class S3Access:
    """How DuckDB reaches S3: the Lambda role's credentials (the runtime puts them in the
    environment), the region, and an endpoint only off AWS (the twin's moto)."""

    region: str
    key_id: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    session_token: str = field(default="", repr=False)
    # host[:port] of an S3-compatible endpoint, path-style; empty in AWS.
    endpoint: str = ""
    use_ssl: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> S3Access:
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        if not region:
            raise SettingsError("API_MARTS_POINTER needs AWS_REGION (the Lambda runtime sets it)")
        key_id, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
        if not key_id or not secret:
            raise SettingsError(
                "API_MARTS_POINTER needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the Lambda "
                "runtime sets the role's credentials there)"
            )
        endpoint, use_ssl = "", True
        raw = env.get("API_S3_ENDPOINT", "").strip()
        if raw:
            parsed = urlsplit(raw)
            if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path not in ("", "/"):
                raise SettingsError(f"API_S3_ENDPOINT must be http(s)://host[:port], not {raw!r}")
            endpoint, use_ssl = parsed.netloc, parsed.scheme == "https"
        return cls(
            region=region,
            key_id=key_id,
            secret=secret,
            session_token=env.get("AWS_SESSION_TOKEN", ""),
            endpoint=endpoint,
            use_ssl=use_ssl,
        )


@dataclass(frozen=True)
class Settings:
    # Where the marts are read: "lake" (the Iceberg marts a dbt build published on S3: AWS and
    # the twin) when API_MARTS_POINTER is set, else "warehouse" (the local DuckDB file).
    backend: Literal["warehouse", "lake"] = "warehouse"
    warehouse_path: Path = Path("data/warehouse.duckdb")
    marts_schema: str = "marts"
    # s3://bucket/<marts prefix>_serving/current.json (serving/pointer.py) and S3's access.
    marts_pointer: str = ""
    s3: S3Access | None = None
    # A newer published version is served at most this long after it was published.
    pointer_refresh_seconds: float = 30.0
    # DuckDB's memory (its cache of the marts' files included); None: DuckDB's default.
    duckdb_memory_mb: int | None = None
    tokens_file: Path = Path("data/tokens.json")
    cursor_secret: bytes = b""
    cursor_secret_is_random: bool = True
    viewer_dir: Path = Path("viewer/dist")
    # All of a request's work, every query included; under API Gateway's 29 s integration limit.
    request_budget_seconds: float = 20.0
    # CloudWatch namespace of the per-route metrics (api_lambda/metrics.py).
    metrics_namespace: str = "RequestAnalytics"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        secret = env.get("CURSOR_SECRET", "")
        pointer = env.get("API_MARTS_POINTER", "").strip()
        if pointer and not _POINTER.match(pointer):
            raise SettingsError(f"API_MARTS_POINTER must be s3://bucket/key.json, not {pointer!r}")
        lambda_memory = _number(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 0, int, 0, 10240)
        return cls(
            backend="lake" if pointer else "warehouse",
            warehouse_path=Path(env.get("WAREHOUSE_PATH", "data/warehouse.duckdb")),
            marts_schema=_identifier(env, "API_MARTS_SCHEMA", "marts"),
            marts_pointer=pointer,
            s3=S3Access.from_env(env) if pointer else None,
            pointer_refresh_seconds=_number(env, "API_POINTER_REFRESH_SECONDS", 30.0, float, 0.1, 60),
            # Most of the function's memory: the rest is Python's and the runtime's.
            duckdb_memory_mb=int(lambda_memory * 0.7) if lambda_memory else None,
            tokens_file=Path(env.get("API_TOKENS_FILE", "data/tokens.json")),
            # A random key per process is fine locally; in AWS every container must share one key
            # or a cursor issued by one container fails verification in another.
            cursor_secret=secret.encode() if secret else secrets.token_bytes(32),
            cursor_secret_is_random=not secret,
            viewer_dir=Path(env.get("VIEWER_DIR", "viewer/dist")),
            request_budget_seconds=_number(env, "API_REQUEST_BUDGET_SECONDS", 20.0, float, 0.1, 28),
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE") or "RequestAnalytics",
        )


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
