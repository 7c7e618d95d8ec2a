"""docs/api-reference.md is what the API's own OpenAPI document renders to, never hand-edited."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def load_generator():
    # A file import: docs/ is a folder of pages with one script, not a package.
    spec = importlib.util.spec_from_file_location("api_reference", REPO / "docs" / "api_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_reference"] = module
    spec.loader.exec_module(module)
    return module


generator = load_generator()


def test_the_committed_reference_is_what_the_code_generates():
    # Given the OpenAPI document the API serves, rendered by `make docs-api`
    generated = generator.render(generator.spec())
    # When it is compared with the committed page
    committed = (REPO / "docs" / "api-reference.md").read_text()
    # Then they are equal: a route, parameter or schema changed in code changes the page
    assert committed == generated, "docs/api-reference.md is out of date: run `make docs-api`"


def test_every_route_and_schema_of_the_document_is_on_the_page():
    # Given the document and its rendering
    doc = generator.spec()
    page = generator.render(doc)
    # Then each documented route, each of its parameters and each schema has its entry
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            assert f"### `{method.upper()} {path}`" in page
            for param in op["parameters"]:
                assert f"| `{param['name']}` | {param['in']} |" in page
    for name in doc["components"]["schemas"]:
        assert f"### {name}\n" in page


def test_check_mode_fails_on_a_stale_page_and_passes_on_a_fresh_one(tmp_path: Path, capsys):
    # Given a page one line out of date
    stale = tmp_path / "api-reference.md"
    stale.write_text(generator.render(generator.spec()).replace("Auth: none.", "Auth: whatever."))
    # When --check compares it; Then it fails and says what to run, and writes nothing
    assert generator.main(["--out", str(stale), "--check"]) == 1
    assert "make docs-api" in capsys.readouterr().err
    assert "Auth: whatever." in stale.read_text()
    # When the page is regenerated; Then --check passes
    assert generator.main(["--out", str(stale)]) == 0
    assert generator.main(["--out", str(stale), "--check"]) == 0
