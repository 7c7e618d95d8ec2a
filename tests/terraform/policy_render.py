"""Render every aws_iam_policy_document of the Terraform tree to IAM JSON, offline, for linters.

Terraform renders these documents itself at plan time, which needs an account. Here the parsed
HCL is rendered with the values a plan would compute: locals and variable defaults are
evaluated, and each reference that only exists after apply (a bucket's ARN, the account id) takes
the example value in EXAMPLES below, shaped as AWS shapes it. A reference with no example fails
loudly, so a new policy cannot slip past the linter unrendered.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from terraform_helpers import TerraformModule

ACCOUNT, REGION, NAME = "123456789012", "eu-west-2", "request-analytics"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{NAME}-failed-runs"


def _bucket(kind: str) -> str:
    return f"arn:aws:s3:::{NAME}-{kind}-{ACCOUNT}"


# What a plan would know, per module folder ("*" for every module).
EXAMPLES: dict[str, dict[str, Any]] = {
    "*": {
        "data.aws_caller_identity.current.account_id": ACCOUNT,
        "data.aws_partition.current.partition": "aws",
        "data.aws_region.current.name": REGION,
        "var.kms_key_arn": KEY_ARN,
        "var.dead_letter_queue_arn": QUEUE_ARN,
        "var.failure_queue_arn": QUEUE_ARN,
    },
    "terraform": {
        'replace(var.name, "-", "_")': NAME.replace("-", "_"),
        "module.lake_bucket.arn": _bucket("lake"),
        "module.results_bucket.arn": _bucket("athena-results"),
        "module.artifacts_bucket.arn": _bucket("artifacts"),
        "module.docs_site.bucket_arn": _bucket("docs"),
        "module.dbt_workgroup.arn": f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{NAME}-dbt",
        "aws_kms_key.this.arn": KEY_ARN,
        "aws_sqs_queue.failures.arn": QUEUE_ARN,
        "local.source_log_group_arns": [
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/storefront",
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/storefront:*",
        ],
    },
    "lambda_function": {"var.name": f"{NAME}-api"},
    "schedule": {"var.function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}-ingest"},
    "scheduled_task": {
        "var.name": f"{NAME}-dbt",
        "aws_cloudwatch_log_group.this.arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/ecs/{NAME}-dbt",
        "aws_iam_role.execution.arn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-dbt-execution",
        "aws_iam_role.task.arn": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-dbt-task",
        "aws_ecs_cluster.this.arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{NAME}-dbt",
    },
    "s3_bucket": {"aws_s3_bucket.this.arn": _bucket("lake")},
    "static_site": {
        "module.bucket.arn": _bucket("viewer"),
        "aws_cloudfront_distribution.this.arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2EXAMPLE",
    },
}

_INTERPOLATION = re.compile(r"\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_DOCUMENT_REF = re.compile(r'^\$\{data\.aws_iam_policy_document\.(\w+)(?:\["(\w+)"\])?\.json\}$')
_CONCAT = re.compile(r"^concat\((.*)\)$")
_INDEX_FREE = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_]+)+$")


class UnrenderableError(KeyError):
    """An expression the renderer cannot evaluate and EXAMPLES does not give."""


@dataclass
class Context:
    module: TerraformModule
    scope: dict[str, Any]

    def examples(self) -> dict[str, Any]:
        return {**EXAMPLES["*"], **EXAMPLES.get(self.module.path.name, {})}


def evaluate(expression: str, ctx: Context) -> Any:
    """The value of one expression inside ${...}."""
    expression = expression.strip()
    if expression in ctx.scope:
        return ctx.scope[expression]
    examples = ctx.examples()
    if expression in examples:
        return examples[expression]
    if concat := _CONCAT.match(expression):
        parts = [p.strip() for p in re.split(r",\s*(?![^\[]*\])", concat.group(1))]
        values: list[Any] = []
        for part in parts:
            if part.startswith("[") and part.endswith("]"):
                values += [evaluate(item, ctx) for item in part[1:-1].split(",") if item.strip()]
            else:
                values += evaluate(part, ctx)
        return values
    if expression.startswith("local.") and _INDEX_FREE.match(expression):
        return render_value(ctx.module.locals[expression.removeprefix("local.")], ctx)
    if expression.startswith("var.") and _INDEX_FREE.match(expression):
        body = ctx.module.variables.get(expression.removeprefix("var."), {})
        if "default" in body and body["default"] is not None:
            return body["default"]
    raise UnrenderableError(f"{ctx.module.path.name}: add an example value for `{expression}` to EXAMPLES")


def render_value(value: Any, ctx: Context) -> Any:
    if isinstance(value, list):
        rendered: list[Any] = []
        for item in value:
            result = render_value(item, ctx)
            rendered += result if isinstance(result, list) and isinstance(item, str) else [result]
        return rendered
    if not isinstance(value, str):
        return value
    whole = _INTERPOLATION.fullmatch(value)
    if whole:
        return evaluate(whole.group(1), ctx)
    return _INTERPOLATION.sub(lambda m: str(evaluate(m.group(1), ctx)), value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _scalar_if_single(values: list[Any]) -> Any:
    """As the provider renders them: a one-element list is written as its element."""
    return values[0] if len(values) == 1 else values


def render_statement(statement: dict[str, Any], ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": statement.get("effect", "Allow")}
    if "sid" in statement:
        out["Sid"] = statement["sid"]
    for key, name in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource")):
        if key in statement:
            out[name] = _scalar_if_single(_as_list(render_value(statement[key], ctx)))
    principals: dict[str, list[str]] = {}
    for principal in statement.get("principals", []):
        principals.setdefault(principal["type"], []).extend(
            _as_list(render_value(principal["identifiers"], ctx))
        )
    if principals:
        out["Principal"] = {kind: _scalar_if_single(ids) for kind, ids in principals.items()}
    conditions: dict[str, dict[str, Any]] = {}
    for condition in statement.get("condition", []):
        values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(condition["values"])]
        rendered = [str(render_value(v, ctx)) for v in values]
        conditions.setdefault(condition["test"], {})[condition["variable"]] = _scalar_if_single(rendered)
    if conditions:
        out["Condition"] = conditions
    return out


def _dynamic_statements(body: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """`dynamic "statement"` blocks, rendered as present (their for_each picks a var.* value)."""
    rendered = []
    for dynamic in body.get("dynamic", []):
        block = dynamic.get("statement")
        if not block:
            continue
        chosen = re.search(r"\[(var\.\w+)\]", block["for_each"])
        if not chosen:
            raise UnrenderableError(f"{ctx.module.path.name}: dynamic statement over {block['for_each']}")
        value = evaluate(chosen.group(1), ctx)
        inner = Context(ctx.module, {**ctx.scope, "statement.value": value})
        rendered += [render_statement(content, inner) for content in block["content"]]
    return rendered


def render_documents(modules: list[TerraformModule]) -> dict[str, dict[str, Any]]:
    """Every policy document as IAM JSON, keyed `<module folder>/<name>[<for_each key>]`."""
    documents: dict[str, dict[str, Any]] = {}
    for module in modules:
        bodies = {name: body for kind, name, body in module.data if kind == "aws_iam_policy_document"}
        pending = dict(bodies)
        while pending:
            progressed = False
            for name, body in list(pending.items()):
                sources = [s for s in _as_list(body.get("source_policy_documents", [])) if s]
                refs = [_DOCUMENT_REF.match(s) for s in sources]
                if any(
                    r and f"{module.path.name}/{r.group(1)}" not in _rendered_names(documents) for r in refs
                ):
                    continue
                for key, value in _instances(body, module):
                    ctx = Context(module, {"each.key": key, "each.value": value} if key else {})
                    statements = []
                    for ref in refs:
                        if ref:  # another document of this module; ${var.*} sources are the caller's
                            label = f"{module.path.name}/{ref.group(1)}" + (
                                f"[{ref.group(2)}]" if ref.group(2) else ""
                            )
                            statements += documents[label]["Statement"]
                    statements += [render_statement(s, ctx) for s in body.get("statement", [])]
                    statements += _dynamic_statements(body, ctx)
                    if statements:
                        label = f"{module.path.name}/{name}" + (f"[{key}]" if key else "")
                        documents[label] = {"Version": "2012-10-17", "Statement": statements}
                del pending[name]
                progressed = True
            if not progressed:
                raise UnrenderableError(
                    f"{module.path.name}: circular source_policy_documents {sorted(pending)}"
                )
    return documents


def _rendered_names(documents: dict[str, Any]) -> set[str]:
    return {label.split("[", 1)[0] for label in documents}


def _instances(body: dict[str, Any], module: TerraformModule) -> list[tuple[str | None, Any]]:
    for_each = body.get("for_each")
    if for_each is None:
        return [(None, None)]
    ctx = Context(module, {})
    return [(key, render_value(value, ctx)) for key, value in for_each.items()]


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True)
