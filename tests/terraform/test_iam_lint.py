"""parliament (IAM policy linter, offline) over every policy document the Terraform renders.

Every finding is either fixed or listed in REASONS with why it is right as it is; a reason no
finding needs any more fails the test too, so the list stays true.
"""

from __future__ import annotations

import fnmatch
import json

import parliament
import pytest
from policy_render import render_documents, to_json

# (document pattern, parliament issue) -> why the finding is right as it is.
REASONS = {
    ("terraform/key", "RESOURCE_STAR"): (
        'In a key policy "*" is the key the policy is attached to, not every resource; that is the '
        "only form AWS accepts there."
    ),
    ("terraform/key", "MISMATCHED_TYPE"): (
        "kms:EncryptionContext:aws:logs:arn holds a log group's ARN; AWS's CloudWatch Logs guide "
        "documents ArnLike/ArnEquals for it, while parliament types the key as a plain string."
    ),
    ("*/assume*", "MALFORMED"): (
        "Trust policies (a role's assume_role_policy) name a principal and never a Resource; "
        "parliament reads them as identity policies."
    ),
}


@pytest.fixture(scope="module")
def documents(all_modules) -> dict[str, dict]:
    return render_documents(all_modules)


def findings_of(document: dict) -> list[tuple[str, str]]:
    policy = parliament.analyze_policy_string(to_json(document))
    return [(finding.issue, str(finding.detail)) for finding in policy.findings]


def reason_for(label: str, issue: str) -> tuple[str, str] | None:
    for (pattern, known), _ in REASONS.items():
        if known == issue and fnmatch.fnmatch(label, pattern):
            return pattern, known
    return None


def test_every_policy_document_is_rendered(documents: dict[str, dict]):
    # Given the rendered documents; Then every function's, the task's and the key's are among them
    assert {"terraform/ingest", "terraform/api", "terraform/dbt", "terraform/key"} <= set(documents)
    assert {"scheduled_task/scheduler", "scheduled_task/execution", "s3_bucket/tls_only"} <= set(documents)
    # And the dbt policy carries the query-results statements it sources, with no duplicate Sid
    sids = [s.get("Sid") for s in documents["terraform/dbt"]["Statement"]]
    assert "LocateResultsBucket" in sids
    assert len(sids) == len(set(sids))


def test_parliament_finds_nothing_without_a_written_reason(documents: dict[str, dict]):
    # When parliament analyses every rendered document
    unexplained, used = [], set()
    for label, document in sorted(documents.items()):
        for issue, detail in findings_of(document):
            reason = reason_for(label, issue)
            if reason is None:
                unexplained.append(f"{label}: {issue} {detail}")
            else:
                used.add(reason)
    # Then each finding has a reason, and each reason still explains a finding
    assert unexplained == [], "fix these or give a reason in REASONS:\n" + "\n".join(unexplained)
    assert set(REASONS) == used, f"reasons that no finding needs any more: {set(REASONS) - used}"


def test_parliament_catches_a_bucket_location_grant_under_a_prefix_condition():
    # Given the results-bucket statement as it was (GetBucketLocation never carries s3:prefix)
    statement = {
        "Effect": "Allow",
        "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
        "Resource": "arn:aws:s3:::request-analytics-athena-results-123456789012",
        "Condition": {"StringLike": {"s3:prefix": "dbt/*"}},
    }
    # Then the linter reports it, so the check above would have caught it
    issues = findings_of({"Version": "2012-10-17", "Statement": [statement]})
    assert (
        "UNKNOWN_CONDITION_FOR_ACTION",
        "Unknown condition s3:prefix for action s3:GetBucketLocation",
    ) in issues


def test_rendered_documents_are_valid_json_policies(documents: dict[str, dict]):
    # Given each rendered document; Then it is a policy with statements that all have an effect
    for label, document in documents.items():
        assert json.loads(to_json(document))["Version"] == "2012-10-17", label
        assert all(s["Effect"] in {"Allow", "Deny"} for s in document["Statement"]), label
