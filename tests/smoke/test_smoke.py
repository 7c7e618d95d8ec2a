"""`make smoke`'s logic against moto (CloudWatch Logs, S3) and fakes where moto stops short.

moto has no task lifecycle for ECS (a task never stops, nothing runs in it) and no API Gateway
in front of a Lambda, so the deployed ingest, the dbt task and the API are played by small fakes
that act on the same moto buckets: the "ingest" reads the log event back from moto's CloudWatch
Logs and lands it as the real ingest would (gzip NDJSON under raw/), the "task" publishes the
runner's runs/latest.json, the "API" answers from what landed, behind a token check.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from smoke.run import Clock, SmokeFailed, Stack, smoke

LOG_GROUP = "/aws/lambda/storefront"
LAKE, DOCS = "ra-lake-123456789012", "ra-docs-123456789012"
TOKEN = "test-token"
# Yesterday 23:58: recent enough for CloudWatch Logs to accept, and landing after midnight means
# two partitions to look in.
START = datetime.now(UTC).replace(hour=23, minute=58, second=0, microsecond=0) - timedelta(days=1)
OUTPUTS = {
    "api_endpoint": {"value": "https://api.example.test/"},
    "lake_bucket": {"value": LAKE},
    "docs_bucket": {"value": DOCS},
    "source_log_group_names": {"value": [LOG_GROUP]},
    "dbt_run": {
        "value": {
            "cluster": "ra-dbt",
            "task_definitions": {"build": "arn:aws:ecs:eu-west-2:123456789012:task-definition/ra-dbt-build"},
            "subnets": ["subnet-1", "subnet-2"],
            "security_groups": ["sg-1"],
            "container": "dbt",
        }
    },
}


class FakeClock(Clock):
    """Time moves only when the smoke test sleeps; each sleep may let the stack act."""

    def __init__(self, on_sleep: list[Any]) -> None:
        self.current = START
        self.on_sleep = on_sleep
        super().__init__(now=lambda: self.current, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        for act in list(self.on_sleep):
            act(self.current)


class FakeEcs:
    """run_task/describe_tasks as ECS answers them; the task 'runs' the runner's publishing step."""

    def __init__(self, s3: Any, clock: FakeClock, exit_code: int = 0, success: bool = True) -> None:
        self.s3, self.clock, self.exit_code, self.success = s3, clock, exit_code, success
        self.started: list[dict[str, Any]] = []
        self.polls = 0

    def run_task(self, **params: Any) -> dict[str, Any]:
        self.started.append(params)
        return {"tasks": [{"taskArn": "arn:aws:ecs:eu-west-2:123456789012:task/ra-dbt/1"}], "failures": []}

    def describe_tasks(self, cluster: str, tasks: list[str]) -> dict[str, Any]:
        # The smoke test must poll the cluster it started the task on.
        assert cluster == self.started[-1]["cluster"]
        self.polls += 1
        if self.polls < 3:
            return {"tasks": [{"taskArn": tasks[0], "lastStatus": "RUNNING"}]}
        run_id = self.clock.now().strftime("%Y%m%dT%H%M%SZ")
        summary = {
            "run_id": run_id,
            "success": self.success,
            "failures": [] if self.success else ["model.x: boom"],
        }
        self.s3.put_object(Bucket=DOCS, Key="runs/latest.json", Body=json.dumps(summary).encode())
        container = {"name": "dbt", "exitCode": self.exit_code}
        return {"tasks": [{"taskArn": tasks[0], "lastStatus": "STOPPED", "containers": [container]}]}


def ingest_from(logs: Any, s3: Any, quarantine: bool = False):
    """Land every analytics event of the log group once, as the deployed ingest would."""
    landed: set[str] = set()

    def act(now: datetime) -> None:
        for stream in logs.describe_log_streams(logGroupName=LOG_GROUP)["logStreams"]:
            events = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"])
            for event in events["events"]:
                record = json.loads(event["message"])["analytics"]
                if record["request_id"] in landed:
                    continue
                landed.add(record["request_id"])
                if quarantine:
                    key = f"quarantine/request_events/ingest_date={now.date()}/smoke.json.gz"
                    body = {"reason": "status out of range", "raw": event["message"]}
                else:
                    key = f"raw/request_events/ingest_date={now.date()}/smoke.json.gz"
                    body = {**record, "ingested_at": now.isoformat(), "log_group": LOG_GROUP}
                s3.put_object(Bucket=LAKE, Key=key, Body=gzip.compress((json.dumps(body) + "\n").encode()))

    return act


def fake_api(s3: Any):
    """Public health and OpenAPI routes; the session's requests from the lake, behind the token."""
    calls: list[tuple[str, dict[str, str]]] = []

    def get(url: str, headers: dict[str, str]) -> tuple[int, Any]:
        calls.append((url, headers))
        path = url.removeprefix("https://api.example.test")
        if path in ("/v1/health", "/v1/openapi.json"):
            return 200, {"status": "ok"}
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"message": "Unauthorized"}
        session_id = path.split("/")[3]
        records = []
        for item in s3.list_objects_v2(Bucket=LAKE, Prefix="raw/").get("Contents", []):
            body = gzip.decompress(s3.get_object(Bucket=LAKE, Key=item["Key"])["Body"].read())
            records += [json.loads(line) for line in body.decode().splitlines()]
        requests = [{"request_id": r["request_id"]} for r in records if r["session_id"] == session_id]
        return (200, {"session_id": session_id, "requests": requests}) if requests else (404, {})

    get.calls = calls  # type: ignore[attr-defined]
    return get


@pytest.fixture
def aws():
    with mock_aws():
        logs = boto3.client("logs", region_name="eu-west-2")
        s3 = boto3.client("s3", region_name="eu-west-2")
        logs.create_log_group(logGroupName=LOG_GROUP)
        for bucket in (LAKE, DOCS):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        yield logs, s3


def test_smoke_passes_through_every_step(aws):
    # Given a stack whose ingest lands the line a few minutes after it is written
    logs, s3 = aws
    acts: list[Any] = []
    clock = FakeClock(acts)
    ecs = FakeEcs(s3, clock)
    api = fake_api(s3)
    ingest = ingest_from(logs, s3)
    acts.append(lambda now: ingest(now) if now >= START + timedelta(minutes=4) else None)
    said: list[str] = []
    # When the smoke test runs against it
    result = smoke(Stack.from_outputs(OUTPUTS), TOKEN, logs, s3, ecs, api, clock, say=said.append)
    # Then the one line written is a valid Contract 1 analytics line in the app's log group
    streams = logs.describe_log_streams(logGroupName=LOG_GROUP)["logStreams"]
    (stream,) = streams
    (event,) = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"])["events"]
    line = json.loads(event["message"])
    assert line["message"] == "analytics.request"
    assert line["analytics"]["client_id"] == "smoke"
    assert line["analytics"]["request_id"] == result["request_id"]
    # And it was found in the partition of the day it landed (after midnight)
    assert result["partition"] == f"raw/request_events/ingest_date={(START + timedelta(days=1)).date()}/"
    # And the dbt task was started as the schedule starts it: the hourly family, Fargate, the task's network
    (started,) = ecs.started
    assert started["taskDefinition"].endswith("task-definition/ra-dbt-build")
    assert started["launchType"] == "FARGATE"
    assert started["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == ["subnet-1", "subnet-2"]
    # And the API was asked without a token for the public routes and for data (refused), then with one
    asked = [(url.rsplit("/v1/", 1)[1], "Authorization" in headers) for url, headers in api.calls]
    assert asked == [
        ("health", False),
        ("openapi.json", False),
        (f"sessions/{line['analytics']['session_id']}/requests", False),
        (f"sessions/{line['analytics']['session_id']}/requests", True),
    ]
    assert said[-1].endswith("smoke test passed")


def test_smoke_fails_when_the_line_never_lands(aws):
    # Given a stack whose ingest does nothing
    logs, s3 = aws
    clock = FakeClock([])
    # When the smoke test waits; Then it fails after its deadline, naming what to check
    with pytest.raises(SmokeFailed, match=r"did not land .* within 0:30:00"):
        smoke(
            Stack.from_outputs(OUTPUTS), TOKEN, logs, s3, FakeEcs(s3, clock), fake_api(s3), clock, say=print
        )
    assert clock.current >= START + timedelta(minutes=30)


def test_smoke_fails_at_once_when_the_line_is_quarantined(aws):
    # Given an ingest that quarantines the line
    logs, s3 = aws
    acts: list[Any] = []
    clock = FakeClock(acts)
    acts.append(ingest_from(logs, s3, quarantine=True))
    # Then the smoke test reports the quarantine reason at the next poll
    with pytest.raises(SmokeFailed, match="quarantined: status out of range"):
        smoke(
            Stack.from_outputs(OUTPUTS), TOKEN, logs, s3, FakeEcs(s3, clock), fake_api(s3), clock, say=print
        )
    assert clock.current < START + timedelta(minutes=2)


@pytest.mark.parametrize(
    ("exit_code", "success", "message"),
    [(1, False, r"stopped with \[1\]"), (0, False, "failed: \\['model.x: boom'\\]")],
)
def test_smoke_fails_when_the_dbt_run_fails(aws, exit_code: int, success: bool, message: str):
    # Given a dbt task that exits non-zero, or publishes a failed run
    logs, s3 = aws
    acts: list[Any] = []
    clock = FakeClock(acts)
    acts.append(ingest_from(logs, s3))
    ecs = FakeEcs(s3, clock, exit_code=exit_code, success=success)
    # Then the smoke test stops at step 3 and says why
    with pytest.raises(SmokeFailed, match=message):
        smoke(Stack.from_outputs(OUTPUTS), TOKEN, logs, s3, ecs, fake_api(s3), clock, say=print)


def test_smoke_refuses_an_api_that_serves_data_without_a_token(aws):
    # Given an API whose data routes answer without a token (no authorizer)
    logs, s3 = aws
    acts: list[Any] = []
    clock = FakeClock(acts)
    acts.append(ingest_from(logs, s3))
    open_api = fake_api(s3)

    def no_auth(url: str, headers: dict[str, str]) -> tuple[int, Any]:
        return open_api(url, {"Authorization": f"Bearer {TOKEN}"})

    # Then the smoke test fails on it
    with pytest.raises(SmokeFailed, match="without a token; the JWT authorizer must refuse it"):
        smoke(Stack.from_outputs(OUTPUTS), TOKEN, logs, s3, FakeEcs(s3, clock), no_auth, clock, say=print)


def test_outputs_missing_the_dbt_task_say_to_apply_first():
    # Given outputs from a stack applied before the dbt task existed; Then the message says so
    outputs = {k: v for k, v in OUTPUTS.items() if k != "dbt_run"}
    with pytest.raises(SmokeFailed, match="terraform outputs lack 'dbt_run': apply the stack first"):
        Stack.from_outputs(outputs)


def test_terraform_declares_every_output_the_smoke_test_reads():
    # Given the root module's outputs; Then each name the smoke test reads exists
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "terraform"))
    from terraform_helpers import TERRAFORM, parse_module

    outputs = parse_module(TERRAFORM).outputs
    assert set(OUTPUTS) <= set(outputs)
    dbt_run = outputs["dbt_run"]["value"]
    assert {"cluster", "task_definitions", "subnets", "security_groups", "container"} <= set(dbt_run)
