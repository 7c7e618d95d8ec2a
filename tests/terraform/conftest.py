"""Session fixtures: the root module and every small module, parsed once."""

from __future__ import annotations

import pytest
from terraform_helpers import TERRAFORM, TerraformModule, parse_module


@pytest.fixture(scope="session")
def root() -> TerraformModule:
    return parse_module(TERRAFORM)


@pytest.fixture(scope="session")
def all_modules(root: TerraformModule) -> list[TerraformModule]:
    children = [parse_module(p) for p in sorted((TERRAFORM / "modules").iterdir()) if p.is_dir()]
    return [root, *children]
