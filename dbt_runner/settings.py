"""Settings of the dbt runner, parsed once from the environment (docs/contracts.md section 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# In the zip, dbt_runner/, dbt_project/ and profiles.yml sit side by side at the root.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(ValueError):
    """A required setting is missing."""


@dataclass(frozen=True)
class Settings:
    docs_bucket: str
    target: str = "athena"
    project_dir: Path = PACKAGE_ROOT / "dbt_project"
    profiles_path: Path = PACKAGE_ROOT / "profiles.yml"
    work_dir: Path = Path("/tmp/dbt")  # noqa: S108 - the only writable path in Lambda

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        bucket = env.get("DOCS_BUCKET", "").strip()
        if not bucket:
            raise SettingsError("DOCS_BUCKET is required: the bucket the dbt docs site is served from")
        return cls(docs_bucket=bucket, target=env.get("DBT_TARGET", "athena").strip() or "athena")
