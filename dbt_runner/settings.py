"""Settings of the dbt runner, parsed once from the environment (docs/contracts.md section 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# In the bundle, dbt_runner/, dbt_project/ and profiles.yml sit side by side at the root.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    docs_bucket: str
    target: str = "athena"
    data_tests: bool = True
    run_timeout_hours: float = 6.0
    project_dir: Path = PACKAGE_ROOT / "dbt_project"
    profiles_path: Path = PACKAGE_ROOT / "profiles.yml"
    work_dir: Path = Path("/tmp/dbt")  # noqa: S108 - the task's only writable volume
    # Where the marts live (dbt-athena's data dir, s3://bucket/prefix/) and their Glue database:
    # with both, a successful build publishes the marts' versions for the API (serving/pointer.py).
    marts_data_dir: str = ""
    marts_database: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        bucket = env.get("DOCS_BUCKET", "").strip()
        if not bucket:
            raise SettingsError("DOCS_BUCKET is required: the bucket the dbt docs site is served from")
        return cls(
            docs_bucket=bucket,
            target=env.get("DBT_TARGET", "athena").strip() or "athena",
            data_tests=_boolean(env, "DBT_DATA_TESTS", True),
            run_timeout_hours=_hours(env, "DBT_RUN_TIMEOUT_HOURS", 6.0),
            marts_data_dir=env.get("DBT_ATHENA_S3_DATA_DIR", "").strip(),
            marts_database=env.get("DBT_ATHENA_SCHEMA", "").strip(),
        )

    @property
    def serves_marts(self) -> bool:
        """Whether a successful build publishes the marts for the API (the Athena target in AWS)."""
        return bool(self.marts_data_dir and self.marts_database)


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"true", "false"}:
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    return raw == "true"


def _hours(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of hours, not {raw!r}") from None
    if not 0 < value <= 24:
        raise SettingsError(f"{name} must be more than 0 and at most 24, not {raw!r}")
    return value
