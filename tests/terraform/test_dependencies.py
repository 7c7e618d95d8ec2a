"""Every user of the KMS key comes after the key's full policy, in the dependency graph.

CloudWatch Logs checks the key policy when a log group is created with the key: a log group that
does not wait for the whole policy fails on the first apply. The graph is taken from the HCL here
(always) and from `terraform graph` where a terraform binary and the provider mirror exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
import tf_cli
from terraform_helpers import TerraformModule, parse_module

KEY = "aws_kms_key.this"
_REF = re.compile(
    r"\b(data\.[a-z0-9_]+\.[a-z0-9_]+|module\.[a-z0-9_]+|aws_[a-z0-9_]+\.[a-z0-9_]+|local\.[a-z0-9_]+)"
)


def hcl_graph(module: TerraformModule) -> dict[str, set[str]]:
    """Node -> the nodes it references (resources, data sources, module calls), locals expanded."""
    local_refs = {name: set(_REF.findall(str(value))) for name, value in module.locals.items()}

    def expand(refs: Iterable[str], seen: frozenset[str] = frozenset()) -> set[str]:
        out: set[str] = set()
        for ref in refs:
            if ref.startswith("local."):
                name = ref.removeprefix("local.")
                if name not in seen:
                    out |= expand(local_refs.get(name, set()), seen | {name})
            else:
                out.add(ref)
        return out

    graph: dict[str, set[str]] = {}
    for kind, name, body in module.resources:
        graph[f"{kind}.{name}"] = expand(_REF.findall(str(body)))
    for kind, name, body in module.data:
        graph[f"data.{kind}.{name}"] = expand(_REF.findall(str(body)))
    for name, body in module.modules.items():
        graph[f"module.{name}"] = expand(_REF.findall(str(body)))
    return {node: {ref for ref in refs if ref in graph and ref != node} for node, refs in graph.items()}


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for nxt in graph.get(stack.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def ordering_violations(graph: dict[str, set[str]], key_has_inline_policy: bool) -> list[str]:
    """Users of the key that can be created before some part of its policy."""
    policies = {node for node in graph if node.startswith("aws_kms_key_policy.")}
    if not policies and not key_has_inline_policy:
        return [f"{KEY} has no policy at all"]
    policy_inputs = set().union(*(reachable(graph, p) | {p} for p in policies)) if policies else set()
    users = {node for node in graph if KEY in reachable(graph, node)} - policies - policy_inputs
    return sorted(
        f"{user} does not wait for {sorted(policies - reachable(graph, user))}"
        for user in users
        if policies - reachable(graph, user)
    )


def test_every_user_of_the_key_comes_after_its_full_policy(root: TerraformModule):
    # Given the root module's dependency graph from the HCL
    graph = hcl_graph(root)
    key = root.resource("aws_kms_key", "this")
    # Then the key holds its policy itself, so every user of the key waits for the policy
    assert key.get("policy") == "${data.aws_iam_policy_document.key.json}"
    assert ordering_violations(graph, key_has_inline_policy=True) == []
    # And the policy does not wait for any user of the key (that would force a separate policy)
    users = {node for node in graph if KEY in reachable(graph, node)}
    assert not reachable(graph, "data.aws_iam_policy_document.key") & users
    # And the log groups' modules are among the users (the check looks at the right things)
    assert {"module.api_function", "module.ingest_function", "module.http_api", "module.dbt_task"} <= users


def test_the_check_catches_a_key_policy_that_log_groups_do_not_wait_for(tmp_path: Path):
    # Given the layout that failed: a separate key policy waiting for CloudFront, a log group
    # using the key only
    (tmp_path / "main.tf").write_text(
        """
resource "aws_kms_key" "this" {}
resource "aws_cloudfront_distribution" "site" { kms = aws_kms_key.this.arn }
data "aws_iam_policy_document" "key" { source = aws_cloudfront_distribution.site.arn }
resource "aws_kms_key_policy" "this" {
  key_id = aws_kms_key.this.id
  policy = data.aws_iam_policy_document.key.json
}
module "function" { kms_key_arn = aws_kms_key.this.arn }
"""
    )
    module = parse_module(tmp_path)
    # Then the log group's module is reported
    violations = ordering_violations(hcl_graph(module), key_has_inline_policy=False)
    assert violations == ["module.function does not wait for ['aws_kms_key_policy.this']"]


# --- the same check on terraform's own graph -------------------------------------------------------

_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)"', re.MULTILINE)


@pytest.fixture(scope="module")
def terraform_graph(tf_workdir: Path) -> dict[str, set[str]]:
    proc = tf_cli.run(["graph"], tf_workdir)
    assert proc.returncode == 0, proc.stderr
    graph: dict[str, set[str]] = {}
    for source, target in _EDGE.findall(proc.stdout):
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    return graph


def test_terraform_graph_orders_every_key_user_after_the_policy(terraform_graph: dict[str, set[str]]):
    # Given terraform's own graph (resources, including those inside modules)
    graph = terraform_graph
    # Then the key waits for its policy document and no separate key policy exists
    assert "data.aws_iam_policy_document.key" in reachable(graph, KEY)
    assert ordering_violations(graph, key_has_inline_policy=True) == []
    # And every log group, in every module, comes after the key
    log_groups = [n for n in graph if "aws_cloudwatch_log_group." in n]
    assert len(log_groups) >= 4, log_groups
    assert [n for n in log_groups if KEY not in reachable(graph, n)] == []
