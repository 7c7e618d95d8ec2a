"""The twin's settings, parsed once from the environment into a frozen dataclass."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The newest trino-server-core on Maven Central when the twin was pinned (472 is the first
# published as a tarball; plugins are separate zips).
TRINO_VERSION = "476"
# Trino 476 needs Java 24 or later; Java 17 (the machine's default) cannot run it.
TRINO_MIN_JAVA = 24
MAX_HEAP_GB = 4
# Trino's default limit of stages per query, which Athena's engine has too: the twin keeps it, so
# a statement planned into more stages fails here as it would there.
DEFAULT_MAX_STAGES = 150
# Trino reads a Parquet file smaller than this whole, in one request, instead of only the column
# chunks a query needs (its `parquet.small-file-threshold`, 3 MB by default, for Athena's engine
# too). The bench's files are about a hundredth of production's, so most fall under it there and
# would be billed whole though production's would not: `make bench` lowers it (docs/twin.md).
DEFAULT_PARQUET_SMALL_FILE_KB = 3072


class TwinSettingsError(ValueError):
    """A twin setting is missing or out of range."""


@dataclass(frozen=True)
class TwinSettings:
    state_dir: Path
    cache_dir: Path
    java_home: Path
    trino_port: int
    s3_port: int
    heap_gb: int
    lake_root: Path
    max_stages: int = DEFAULT_MAX_STAGES
    parquet_small_file_kb: int = DEFAULT_PARQUET_SMALL_FILE_KB

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def trino_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.trino_port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwinSettings:
        env = os.environ if env is None else env
        cache_home = Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME", "~")).expanduser() / ".cache")
        heap = _int(env, "TWIN_HEAP_GB", 3)
        if not 1 <= heap <= MAX_HEAP_GB:
            raise TwinSettingsError(f"TWIN_HEAP_GB must be 1..{MAX_HEAP_GB} (GB of Trino heap), got {heap}")
        java_home = Path(env["TWIN_JAVA_HOME"]) if env.get("TWIN_JAVA_HOME") else find_java_home()
        return cls(
            state_dir=Path(env.get("TWIN_STATE_DIR", str(REPO / ".twin"))).resolve(),
            cache_dir=cache_home / "request-analytics",
            java_home=java_home,
            trino_port=_int(env, "TWIN_TRINO_PORT", 8787),
            s3_port=_int(env, "TWIN_S3_PORT", 8788),
            heap_gb=heap,
            lake_root=Path(env.get("LAKE_ROOT", "data/lake")).resolve(),
            max_stages=_int(env, "TWIN_MAX_STAGES", DEFAULT_MAX_STAGES),
            parquet_small_file_kb=_int(env, "TWIN_PARQUET_SMALL_FILE_KB", DEFAULT_PARQUET_SMALL_FILE_KB),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    if not raw.isdigit():
        raise TwinSettingsError(f"{name} must be a whole number, got {raw!r}")
    return int(raw)


def find_java_home(jvm_dir: Path = Path("/usr/lib/jvm")) -> Path:
    """The newest JDK under `jvm_dir` that Trino can run on (Java TRINO_MIN_JAVA or later)."""
    found: list[tuple[int, Path]] = []
    for home in jvm_dir.glob("*") if jvm_dir.is_dir() else []:
        release = home / "release"
        if not (home / "bin" / "java").exists() or not release.exists():
            continue
        match = re.search(r'JAVA_VERSION="(\d+)', release.read_text())
        if match and int(match.group(1)) >= TRINO_MIN_JAVA:
            found.append((int(match.group(1)), home))
    if not found:
        raise TwinSettingsError(
            f"Trino {TRINO_VERSION} needs Java {TRINO_MIN_JAVA}+ and none is under {jvm_dir}: "
            "install a Temurin JDK there or set TWIN_JAVA_HOME"
        )
    return max(found)[1]
