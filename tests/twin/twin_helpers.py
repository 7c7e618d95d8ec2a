"""The twin's test helpers: a built twin's command line, free loopback ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from twin.settings import REPO, TwinSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Twin:
    env: dict[str, str]
    settings: TwinSettings

    def build(self, lake_root: Path, target_path: Path, *dbt_args: str) -> dict:
        """`python -m twin build` over `lake_root`; dbt's run_results.json (fails the test on error)."""
        env = {**os.environ, **self.env, "LAKE_ROOT": str(lake_root)}
        cmd = [sys.executable, "-m", "twin", "build", "--target-path", str(target_path), *dbt_args]
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.fail(
                f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-8000:]}\n{proc.stderr[-3000:]}"
            )
        return json.loads((target_path / "run_results.json").read_text())
