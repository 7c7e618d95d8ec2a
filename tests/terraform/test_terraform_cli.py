"""`terraform init`, `validate` and `test` (mocked AWS provider), offline, where the tools exist.

Needs a terraform binary on PATH and a filesystem mirror of the AWS provider (tf_cli.py says
where it looks); without them these tests are skipped, saying why, and the HCL checks still run.
init uses `-lockfile=readonly`: the committed .terraform.lock.hcl must already pin the mirrored
provider, or init fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import tf_cli
from terraform_helpers import TERRAFORM


@pytest.fixture
def workdir(tf_workdir: Path) -> Path:
    return tf_workdir


def test_lock_file_pins_the_tested_provider_within_the_constraint():
    # Given the committed lock file and the root's provider constraint
    lock = (TERRAFORM / ".terraform.lock.hcl").read_text()
    versions = (TERRAFORM / "versions.tf").read_text()
    # Then it pins the AWS provider 5.100.0 with a hash, and the constraint allows major 5 only
    assert re.search(r'provider "registry\.terraform\.io/hashicorp/aws" \{\s+version\s+= "5\.100\.0"', lock)
    assert re.search(r'"h1:[A-Za-z0-9+/=]{44}"', lock)
    assert 'version = ">= 5.100.0, < 6.0.0"' in versions
    # And no other provider is needed (nothing this machine cannot check, e.g. random)
    assert re.findall(r'provider "([^"]+)"', lock) == ["registry.terraform.io/hashicorp/aws"]
    assert "hashicorp/random" not in "".join(p.read_text() for p in TERRAFORM.rglob("*.tf"))


def test_terraform_validate(workdir: Path):
    # When terraform validates the initialised copy; Then it is valid with no warning
    proc = tf_cli.run(["validate", "-json"], workdir)
    report = json.loads(proc.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=1)
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=1)


def test_terraform_test_with_mocked_providers(workdir: Path):
    # When `terraform test` plans every run of terraform/tests/*.tftest.hcl against a mocked provider
    proc = tf_cli.run(["test"], workdir)
    # Then every run passes: key policy ordering, workgroups, routes, the dbt task, validations
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = re.search(r"Success! (\d+) passed, 0 failed", proc.stdout)
    assert summary, proc.stdout[-2000:]
    assert int(summary.group(1)) >= 9
