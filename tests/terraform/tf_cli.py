"""Find a terraform binary and a filesystem mirror of the AWS provider, and prepare a working copy.

Where either is missing the checks that need them are skipped with the reason in pytest's
summary; every other check still runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from terraform_helpers import TERRAFORM

PROVIDER_GLOB = "registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*"
MIRROR_CANDIDATES = (
    os.environ.get("TF_PLUGIN_MIRROR", ""),
    "/opt/tf-plugins",
    str(Path.home() / ".terraform.d" / "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


MINIMUM = (1, 7)  # mocked providers in `terraform test`


def _version(binary: str) -> tuple[int, ...]:
    try:
        proc = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=30)
        return tuple(int(part) for part in json.loads(proc.stdout)["terraform_version"].split(".")[:2])
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return (0,)


@cache
def terraform_binary() -> str | None:
    """The first terraform on PATH new enough for mocked providers (the venv's 1.0.3 only formats)."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        binary = shutil.which("terraform", path=folder)
        if binary and _version(binary) >= MINIMUM:
            return binary
    return None


def provider_mirror() -> Path | None:
    """The folder above registry.terraform.io that holds the AWS provider, if any."""
    for candidate in filter(None, MIRROR_CANDIDATES):
        path = Path(candidate)
        if path.is_dir() and any(path.glob(PROVIDER_GLOB)):
            return path
    return None


def missing_reason() -> str | None:
    if terraform_binary() is None:
        return "no terraform >= 1.7 on PATH: init/validate/test/graph skipped (HCL checks still run)"
    if provider_mirror() is None:
        return (
            "no filesystem mirror of the AWS provider (registry.terraform.io/hashicorp/aws) in "
            f"{[c for c in MIRROR_CANDIDATES if c]}: init/validate/test/graph skipped (set TF_PLUGIN_MIRROR)"
        )
    return None


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_CLI_ARGS": "-no-color"}
    env.pop("TF_CLI_CONFIG_FILE", None)
    return subprocess.run(
        [terraform_binary() or "terraform", *args], cwd=cwd, capture_output=True, text=True, env=env
    )


def initialised_copy(target: Path) -> Path:
    """terraform/ copied to target and initialised offline against the committed lock file."""
    copy = target / "terraform"
    shutil.copytree(
        TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "terraform.tfvars")
    )
    # The one file outside terraform/ that the configuration reads (the dbt task's entry point).
    (target / "dbt_runner").mkdir()
    shutil.copy2(TERRAFORM.parent / "dbt_runner" / "bootstrap.py", target / "dbt_runner" / "bootstrap.py")
    proc = run(
        ["init", "-backend=false", f"-plugin-dir={provider_mirror()}", "-lockfile=readonly", "-input=false"],
        copy,
    )
    if proc.returncode != 0:
        raise AssertionError(f"terraform init failed:\n{proc.stdout}\n{proc.stderr}")
    return copy
