"""Session fixtures: the root module and every small module parsed once; one initialised copy."""

from __future__ import annotations

from pathlib import Path

import pytest
import tf_cli
from terraform_helpers import TERRAFORM, TerraformModule, parse_module


@pytest.fixture(scope="session")
def root() -> TerraformModule:
    return parse_module(TERRAFORM)


@pytest.fixture(scope="session")
def all_modules(root: TerraformModule) -> list[TerraformModule]:
    children = [parse_module(p) for p in sorted((TERRAFORM / "modules").iterdir()) if p.is_dir()]
    return [root, *children]


@pytest.fixture(scope="session")
def tf_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """terraform/ initialised offline in a copy (skipped, saying why, without terraform or the mirror)."""
    if reason := tf_cli.missing_reason():
        pytest.skip(reason)
    return tf_cli.initialised_copy(tmp_path_factory.mktemp("tf"))
