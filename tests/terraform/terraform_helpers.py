"""Parse Terraform (python-hcl2) and find the settings the real code reads, for tests/terraform."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
LAMBDA_MODULE = "./modules/lambda_function"
_REFERENCE = re.compile(r"^\$\{local\.([A-Za-z0-9_]+)\}$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")


@dataclass
class TerraformModule:
    """One folder of .tf files, parsed to plain dicts and merged by block type."""

    path: Path
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    data: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        for k, n, body in self.resources:
            if (k, n) == (kind, name):
                return body
        raise KeyError(f"{self.path}: no resource {kind}.{name}")

    def resolve(self, value: Any) -> Any:
        """Follow `${local.name}` references (the only indirection the checks need)."""
        while isinstance(value, str) and (match := _REFERENCE.match(value)):
            value = self.locals[match.group(1)]
        return value


def parse_module(path: Path) -> TerraformModule:
    module = TerraformModule(path=path)
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    for tf in sorted(path.glob("*.tf")):
        with tf.open() as handle:
            doc = hcl2.load(handle, serialization_options=options)
        for block in doc.get("locals", []):
            module.locals.update({k: v for k, v in block.items() if k != "__comments__"})
        for block in doc.get("variable", []):
            module.variables.update(block)
        for block in doc.get("output", []):
            module.outputs.update(block)
        for block in doc.get("module", []):
            module.modules.update(block)
        for kind, bucket in (("resource", module.resources), ("data", module.data)):
            for block in doc.get(kind, []):
                for type_name, named in block.items():
                    for name, body in named.items():
                        bucket.append((type_name, name, body))
    return module


def function_modules(root: TerraformModule) -> dict[str, dict[str, Any]]:
    """Every call of the lambda_function module, keyed by its module name."""
    return {name: body for name, body in root.modules.items() if body["source"] == LAMBDA_MODULE}


def function_calls(root: TerraformModule) -> dict[str, dict[str, Any]]:
    """The main call of the lambda_function module per Python package its handler lives in.

    A package may back several functions (the ingest's poller and its subscription); its main
    one is the module named after it (`ingest_function` for ingest_lambda), whatever the order
    the calls are declared in.
    """
    calls: dict[str, dict[str, Any]] = {}
    for name, body in function_modules(root).items():
        package = body["handler"].split(".")[0]
        if package not in calls or name == f"{package.removesuffix('_lambda')}_function":
            calls[package] = body
    return calls


def policy_documents(modules: list[TerraformModule]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every aws_iam_policy_document, with `${local.x}` lists resolved."""
    for module in modules:
        for kind, name, body in module.data:
            if kind != "aws_iam_policy_document":
                continue
            statements = [(name, s) for s in body.get("statement", [])]
            for dynamic in body.get("dynamic", []):
                statements += [
                    (f"{name} (dynamic)", c) for c in dynamic.get("statement", {}).get("content", [])
                ]
            for where, statement in statements:
                resolved = {**statement}
                for key in ("actions", "not_actions"):
                    if key in statement:
                        resolved[key] = module.resolve(statement[key])
                yield f"{module.path.name}/{where}", resolved


def env_names_read(package: Path) -> set[str]:
    """Environment variable names a package's code reads, found in its syntax tree.

    Recognises `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)`, `env.get(...)` on a
    mapping named env/environ, and helper calls that take that mapping and then a name
    (`_int(env, "OVERLAP_MINUTES", ...)`).
    """
    names: set[str] = set()
    for source in sorted(package.rglob("*.py")):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            names.update(_names_in(node))
    return {n for n in names if _ENV_NAME.match(n)}


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id in {"env", "environ"}) or (
        isinstance(node, ast.Attribute) and node.attr == "environ"
    )


def _const(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names_in(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Subscript) and _is_environ(node.value) and (name := _const(node.slice)):
        yield name
    if not isinstance(node, ast.Call):
        return
    func = node.func
    first = _const(node.args[0]) if node.args else None
    reads_mapping = (
        isinstance(func, ast.Attribute)
        and func.attr in {"get", "pop", "setdefault"}
        and _is_environ(func.value)
    )
    getenv = (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
        isinstance(func, ast.Name) and func.id == "getenv"
    )
    if first and (reads_mapping or getenv):
        yield first
    for i, arg in enumerate(node.args[:-1]):
        if _is_environ(arg) and (name := _const(node.args[i + 1])):
            yield name
