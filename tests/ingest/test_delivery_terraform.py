"""The ingest's Terraform against the code it deploys: what only AWS would otherwise show.

A subscription filter whose permission is missing or scoped to the wrong ARN is refused at apply
time or silently never delivers; an alarm on a metric name the code does not publish never fires.
These checks read terraform/ingest.tf and terraform/alarms.tf and compare them with the code.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest

from tests.terraform.terraform_helpers import TERRAFORM, TerraformModule, parse_module, policy_documents

METRICS_SOURCE = Path(__file__).resolve().parents[2] / "ingest_lambda" / "metrics.py"


@pytest.fixture(scope="module")
def root() -> TerraformModule:
    return parse_module(TERRAFORM)


def published_metrics() -> set[str]:
    """Every metric name ingest_lambda/metrics.py adds (`add_metric(name="...")`)."""
    tree = ast.parse(METRICS_SOURCE.read_text())
    return {
        keyword.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_metric"
        for keyword in node.keywords
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant)
    }


def test_every_source_log_group_is_subscribed_to_the_subscription_function(root: TerraformModule) -> None:
    # Given the subscription filter, the permission and the function they name
    subscription = root.resource("aws_cloudwatch_log_subscription_filter", "ingest")
    permission = root.resource("aws_lambda_permission", "ingest_subscription")
    function = root.modules["ingest_subscription_function"]

    # Then each source log group gets a filter with the ingest's own pattern, to that function,
    # created only after CloudWatch Logs may invoke it
    assert subscription["for_each"] == "${toset(var.source_log_group_names)}"
    assert subscription["log_group_name"] == "${each.key}"
    assert subscription["filter_pattern"] == "${var.ingest_settings.filter_pattern}"
    assert subscription["destination_arn"] == "${module.ingest_subscription_function.function_arn}"
    assert subscription["depends_on"] == ["${aws_lambda_permission.ingest_subscription}"]
    # And the permission is for CloudWatch Logs, from those log groups (the `:*` ARN form the
    # service invokes with) in this account only
    assert permission["for_each"] == subscription["for_each"]
    assert permission["principal"] == "logs.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["function_name"] == "${module.ingest_subscription_function.function_name}"
    assert permission["source_arn"].endswith(":log-group:${each.key}:*")
    assert permission["source_account"] == "${local.account_id}"
    # And the function's handler exists and takes subscription deliveries
    module_name, _, attribute = function["handler"].rpartition(".")
    handler = importlib.import_module(module_name)
    assert callable(getattr(handler, attribute))
    assert function["failure_queue_arn"] == "${aws_sqs_queue.failures.arn}"
    assert root.resolve(function["reserved_concurrent_executions"]) > 1
    assert root.modules["ingest_function"]["reserved_concurrent_executions"] == 1


def test_the_subscription_role_only_lands_objects(root: TerraformModule) -> None:
    # Given the subscription function's policy
    assert root.modules["ingest_subscription_function"]["policy_json"] == (
        "${data.aws_iam_policy_document.ingest_subscription.json}"
    )
    statements = [
        s for where, s in policy_documents([root]) if where.startswith("terraform/ingest_subscription")
    ]

    # Then it can put raw and quarantine objects and use the key, nothing else: no checkpoint, no reads
    actions = {a for s in statements for a in s["actions"]}
    assert actions == {"s3:PutObject", "s3:AbortMultipartUpload", "kms:Decrypt", "kms:GenerateDataKey"}
    put = next(s for s in statements if "s3:PutObject" in s["actions"])
    assert sorted(put["resources"]) == [
        "${local.lake_arn}/${local.quarantine_prefix}*",
        "${local.lake_arn}/${local.raw_prefix}*",
    ]


@pytest.mark.parametrize("alarm", ["ingest_lag", "ingest_window_replays", "ingest_checkpoint_lag"])
def test_the_ingest_alarms_watch_metrics_the_code_publishes(root: TerraformModule, alarm: str) -> None:
    # Given an ingest alarm on the app's namespace
    body: dict[str, Any] = root.resource("aws_cloudwatch_metric_alarm", alarm)

    # Then its metric is one ingest_lambda/metrics.py publishes, under Powertools' service dimension
    assert body["namespace"] == "RequestAnalytics"
    assert body["metric_name"] in published_metrics()
    assert body["dimensions"] == {"service": "ingest"}


def test_the_lag_alarm_sits_at_the_pollers_overlap_and_replays_alarm_on_a_loop(root: TerraformModule) -> None:
    # Given the two thresholds
    lag = root.resource("aws_cloudwatch_metric_alarm", "ingest_lag")
    replays = root.resource("aws_cloudwatch_metric_alarm", "ingest_window_replays")

    # Then the lag alarm fires past the poller's overlap (in seconds), where the subscription is the
    # only path, and the replay alarm at the fourth start of one position
    assert root.resolve(lag["threshold"]) == "${var.ingest_settings.overlap_minutes * 60}"
    assert lag["statistic"] == "Maximum"
    assert root.resolve(replays["threshold"]) == 3
    assert replays["comparison_operator"] == "GreaterThanOrEqualToThreshold"
