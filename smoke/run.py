"""The smoke test's steps, over clients passed in (boto3 in AWS; moto and fakes in tests/smoke).

1. put one synthetic analytics line into the app's first log group (PutLogEvents);
2. wait until the ingest lands it under raw/ (or quarantines it, which fails at once);
3. start the hourly dbt task by hand and wait for it to stop with exit code 0 and a new
   successful `runs/latest.json`;
4. read the synthetic session back through the API with a test token, and check that the public
   routes answer without one and the data routes refuse a request without one.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

RAW_PREFIX = "raw/request_events/"
QUARANTINE_PREFIX = "quarantine/request_events/"
LOCK_KEY = "runs/lock.json"


class SmokeFailed(RuntimeError):
    """A step did not reach its goal before its deadline, or the stack answered wrongly."""


class HttpGet(Protocol):
    def __call__(self, url: str, headers: dict[str, str]) -> tuple[int, Any]: ...


@dataclass(frozen=True)
class Stack:
    """What the smoke test needs from `terraform output -json`."""

    api_endpoint: str
    lake_bucket: str
    docs_bucket: str
    log_group: str
    cluster: str
    task_definition: str
    subnets: list[str]
    security_groups: list[str]

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> Stack:
        """From `terraform output -json` (each output is {"value": ...})."""
        try:
            value = {name: body["value"] for name, body in outputs.items()}
            run = value["dbt_run"]
            return cls(
                api_endpoint=value["api_endpoint"].rstrip("/"),
                lake_bucket=value["lake_bucket"],
                docs_bucket=value["docs_bucket"],
                log_group=value["source_log_group_names"][0],
                cluster=run["cluster"],
                task_definition=run["task_definitions"]["build"],
                subnets=list(run["subnets"]),
                security_groups=list(run["security_groups"]),
            )
        except (KeyError, IndexError, TypeError) as missing:
            raise SmokeFailed(f"terraform outputs lack {missing}: apply the stack first") from None


@dataclass
class Clock:
    """Real time by default; tests pass their own."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep


def synthetic_line(now: datetime, run_id: str) -> tuple[str, dict[str, Any]]:
    """One Contract 1 line of a tenant of its own (client `smoke`), and its analytics payload."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    analytics = {
        "schema_version": 1,
        "request_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"smoke/{run_id}")),
        "session_id": f"smoke-{run_id}",
        "client_id": "smoke",
        "reseller_id": "smoke",
        "user_id": "smoke",
        "occurred_at": stamp,
        "method": "GET",
        "path": "/smoke",
        "status": 200,
        "duration_ms": 1,
        "products": [
            {
                "product_id": "smoke",
                "name": "Smoke test",
                "category": "smoke",
                "unit_price": 1.0,
                "currency": "GBP",
                "quantity": 1,
            }
        ],
    }
    line = {"level": "INFO", "message": "analytics.request", "timestamp": stamp, "service": "smoke"}
    return json.dumps({**line, "analytics": analytics}), analytics


def put_line(logs: Any, group: str, stream: str, line: str, now: datetime) -> None:
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    response = logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(now.timestamp() * 1000), "message": line}],
    )
    if response.get("rejectedLogEventsInfo"):
        raise SmokeFailed(f"CloudWatch Logs rejected the line: {response['rejectedLogEventsInfo']}")


def _partitions(prefix: str, since: datetime, until: datetime) -> list[str]:
    days = {since.date() + timedelta(days=n) for n in range((until.date() - since.date()).days + 1)}
    return [f"{prefix}ingest_date={day.isoformat()}/" for day in sorted(days)]


def _lines_in(s3: Any, bucket: str, prefix: str, since: datetime) -> list[str]:
    lines = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["LastModified"] >= since - timedelta(minutes=1):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                lines += gzip.decompress(body).decode().splitlines()
    return lines


def wait_for_landing(
    s3: Any, bucket: str, request_id: str, since: datetime, timeout: timedelta, clock: Clock, poll: float = 30
) -> str:
    """The raw partition the request landed in; fails at once if it was quarantined instead."""
    deadline = since + timeout
    while True:
        now = clock.now()
        for prefix in _partitions(QUARANTINE_PREFIX, since, now):
            for line in _lines_in(s3, bucket, prefix, since):
                if request_id in line:
                    raise SmokeFailed(f"the synthetic line was quarantined: {json.loads(line).get('reason')}")
        for prefix in _partitions(RAW_PREFIX, since, now):
            if any(
                json.loads(line).get("request_id") == request_id
                for line in _lines_in(s3, bucket, prefix, since)
            ):
                return prefix
        if now >= deadline:
            raise SmokeFailed(
                f"request {request_id} did not land under s3://{bucket}/{RAW_PREFIX} within {timeout} "
                "(check the ingest's logs and the checkpoint-lag alarm)"
            )
        clock.sleep(poll)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError:
        return False
    return True


def run_dbt(ecs: Any, s3: Any, stack: Stack, timeout: timedelta, clock: Clock, poll: float = 30) -> str:
    """Start the hourly dbt task, wait for it to stop cleanly with a new successful run; its run id."""
    started = clock.now()
    deadline = started + timeout
    while _exists(s3, stack.docs_bucket, LOCK_KEY):  # a scheduled run is building: wait for it
        if clock.now() >= deadline:
            raise SmokeFailed(f"s3://{stack.docs_bucket}/{LOCK_KEY} stayed taken for {timeout}")
        clock.sleep(poll)
    started = clock.now()
    response = ecs.run_task(
        cluster=stack.cluster,
        taskDefinition=stack.task_definition,
        launchType="FARGATE",
        count=1,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": stack.subnets,
                "securityGroups": stack.security_groups,
                "assignPublicIp": "ENABLED",
            }
        },
        startedBy="make-smoke",
    )
    if response.get("failures") or not response.get("tasks"):
        raise SmokeFailed(f"the dbt task did not start: {response.get('failures')}")
    task_arn = response["tasks"][0]["taskArn"]
    while True:
        task = ecs.describe_tasks(cluster=stack.cluster, tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            break
        if clock.now() >= deadline:
            raise SmokeFailed(f"the dbt task {task_arn} was still {task['lastStatus']} after {timeout}")
        clock.sleep(poll)
    exit_codes = [c.get("exitCode") for c in task.get("containers", [])]
    if exit_codes != [0]:
        raise SmokeFailed(f"the dbt task stopped with {exit_codes}: {task.get('stoppedReason')}")
    latest = json.loads(s3.get_object(Bucket=stack.docs_bucket, Key="runs/latest.json")["Body"].read())
    if latest["run_id"] < started.strftime("%Y%m%dT%H%M%SZ"):
        raise SmokeFailed(
            f"the dbt task published no new run (latest is {latest['run_id']}): was it skipped?"
        )
    if not latest["success"]:
        raise SmokeFailed(f"dbt run {latest['run_id']} failed: {latest.get('failures')}")
    return str(latest["run_id"])


def read_back(http_get: HttpGet, stack: Stack, token: str, analytics: dict[str, Any]) -> int:
    """The synthetic session's requests through the API; returns how many requests it holds."""
    for path in ("/v1/health", "/v1/openapi.json"):
        status, _ = http_get(f"{stack.api_endpoint}{path}", {})
        if status != 200:
            raise SmokeFailed(f"{path} answered {status} without a token; it must be public")
    url = f"{stack.api_endpoint}/v1/sessions/{analytics['session_id']}/requests"
    status, _ = http_get(url, {})
    if status != 401:
        raise SmokeFailed(
            f"a data route answered {status} without a token; the JWT authorizer must refuse it"
        )
    status, body = http_get(url, {"Authorization": f"Bearer {token}"})
    if status != 200:
        raise SmokeFailed(f"{url} answered {status} with the test token: {body}")
    found = [r for r in body.get("requests", []) if r.get("request_id") == analytics["request_id"]]
    if not found:
        raise SmokeFailed(f"the API does not return request {analytics['request_id']}: {body}")
    return len(body["requests"])


def smoke(
    stack: Stack,
    token: str,
    logs: Any,
    s3: Any,
    ecs: Any,
    http_get: HttpGet,
    clock: Clock,
    say: Callable[[str], None] = print,
    land_timeout: timedelta = timedelta(minutes=30),
    dbt_timeout: timedelta = timedelta(hours=2),
) -> dict[str, Any]:
    start = clock.now()
    run_id = start.strftime("%Y%m%dT%H%M%S") + f"-{uuid.uuid4().hex[:6]}"
    line, analytics = synthetic_line(start, run_id)
    say(f"[1/4] PutLogEvents: request {analytics['request_id']} into {stack.log_group}")
    put_line(logs, stack.log_group, f"smoke/{run_id}", line, start)
    say(
        f"[2/4] waiting (up to {land_timeout}) for the ingest to land it in s3://{stack.lake_bucket}/{RAW_PREFIX}"
    )
    partition = wait_for_landing(s3, stack.lake_bucket, analytics["request_id"], start, land_timeout, clock)
    say(f"      landed under {partition}")
    say(f"[3/4] starting the dbt task ({stack.task_definition}) and waiting (up to {dbt_timeout})")
    dbt_run = run_dbt(ecs, s3, stack, dbt_timeout, clock)
    say(f"      dbt run {dbt_run} succeeded")
    say(f"[4/4] reading session {analytics['session_id']} back through {stack.api_endpoint}")
    requests = read_back(http_get, stack, token, analytics)
    say(f"      the API returned it ({requests} request(s) in the session); smoke test passed")
    return {"request_id": analytics["request_id"], "partition": partition, "dbt_run": dbt_run}
