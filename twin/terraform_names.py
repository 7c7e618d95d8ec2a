"""The names the twin uses, derived from the Terraform root module (never a second copy).

The lake bucket, the raw prefix, the Glue databases and dbt's data directory are what
terraform/ declares for its default `var.name`, in moto's default account. Only the few
expression forms those declarations use are evaluated: `${var.x}`, `${local.x}`,
`${module.m.output}` (an output that returns the input of the same name, or a bucket's `id`),
`replace(a, "b", "c")` and the caller-identity account id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM = Path(__file__).resolve().parents[1] / "terraform"
# moto's default account: every ARN and account-suffixed name in the twin uses it.
MOTO_ACCOUNT_ID = "123456789012"
_INTERPOLATION = re.compile(r"\$\{([^{}]+)\}")
_REPLACE = re.compile(r'^replace\((.+),\s*"(.*)",\s*"(.*)"\)$')


@dataclass(frozen=True)
class TerraformNames:
    lake_bucket: str
    raw_prefix: str
    raw_database: str
    marts_database: str
    marts_data_dir: str
    dbt_workgroup: dict[str, Any]

    @property
    def raw_location(self) -> str:
        return f"s3://{self.lake_bucket}/{self.raw_prefix}"


class _Root:
    def __init__(self, path: Path) -> None:
        options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
        self.locals: dict[str, Any] = {}
        self.variables: dict[str, Any] = {}
        self.modules: dict[str, dict[str, Any]] = {}
        for tf in sorted(path.glob("*.tf")):
            with tf.open() as handle:
                doc = hcl2.load(handle, serialization_options=options)
            for block in doc.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if k != "__comments__"})
            for block in doc.get("variable", []):
                self.variables.update(block)
            for block in doc.get("module", []):
                self.modules.update(block)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items() if k != "__comments__"}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str):
            return value
        whole = _INTERPOLATION.fullmatch(value)
        if whole:
            return self.expression(whole.group(1).strip())
        return _INTERPOLATION.sub(lambda m: str(self.expression(m.group(1).strip())), value)

    def expression(self, expr: str) -> Any:
        if match := _REPLACE.match(expr):
            return str(self.expression(match.group(1).strip())).replace(match.group(2), match.group(3))
        if expr == "data.aws_caller_identity.current.account_id":
            return MOTO_ACCOUNT_ID
        head, _, rest = expr.partition(".")
        if head == "var":
            return self.resolve(self.variables[rest]["default"])
        if head == "local":
            return self.resolve(self.locals[rest])
        if head == "module":
            name, _, output = rest.partition(".")
            inputs = self.modules[name]
            key = "name" if output == "id" and "name" in inputs else output
            if key in inputs:
                return self.resolve(inputs[key])
        raise ValueError(f"terraform expression the twin cannot evaluate: {expr}")


@cache
def terraform_names(path: Path = TERRAFORM) -> TerraformNames:
    """The names of the default stack (var.name's default) in moto's account."""
    root = _Root(path)
    environment = root.locals["dbt_environment"]
    catalog = root.modules["catalog"]
    # The workgroup's settings the moto gate applies (the KMS key and the results bucket's
    # account-bound name resolve like every other name).
    workgroup = {k: v for k, v in root.modules["dbt_workgroup"].items() if k not in ("source", "kms_key_arn")}
    return TerraformNames(
        lake_bucket=root.resolve(catalog["lake_bucket"]),
        raw_prefix=root.resolve(catalog["raw_prefix"]),
        raw_database=root.resolve(environment["DBT_ATHENA_RAW_SCHEMA"]),
        marts_database=root.resolve(environment["DBT_ATHENA_SCHEMA"]),
        marts_data_dir=root.resolve(environment["DBT_ATHENA_S3_DATA_DIR"]),
        dbt_workgroup=root.resolve(workgroup),
    )
