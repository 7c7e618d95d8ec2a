"""The CloudWatch source and S3 sink against moto: the Lambda handler, overlap, and crash recovery."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from ingest_lambda import handler
from ingest_lambda.checkpoint import load_checkpoint
from ingest_lambda.emit import analytics_line
from ingest_lambda.run import run
from ingest_lambda.settings import Settings, SettingsError
from ingest_lambda.sinks import S3Sink
from ingest_lambda.sources import CloudWatchSource
from tests.ingest.conftest import CrashingSink, FakeClock, load_event

REGION = "eu-west-2"
GROUP = "/aws/lambda/storefront"
STREAM = "2026/11/20/[$LATEST]abc"


@dataclass
class LambdaContext:
    function_name: str = "request-analytics-ingest"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:123456789012:function:request-analytics-ingest"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"
    remaining_ms: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def aws(aws_credentials):
    with mock_aws():
        logs = boto3.client("logs", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        logs.create_log_group(logGroupName=GROUP)
        logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        for bucket in ("lake", "reference"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield logs, s3


def minute_floor(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def request_line(request_id: str, occurred: datetime) -> str:
    return analytics_line(
        request_id=request_id, session_id="s-1", client_id="acme", reseller_id="north-shop", user_id="u-1",
        method="GET", path="/products/42", status=200, duration_ms=12, occurred_at=occurred,
        products=[{"product_id": "p-42", "name": "Blue Mug", "category": "kitchen", "unit_price": 12.5,
                   "currency": "GBP", "quantity": 1}],
    )  # fmt: skip


def put(logs, messages: list[tuple[datetime, str]]) -> None:
    events = sorted(
        ({"timestamp": int(t.timestamp() * 1000), "message": m} for t, m in messages),
        key=lambda e: e["timestamp"],
    )
    logs.put_log_events(logGroupName=GROUP, logStreamName=STREAM, logEvents=events)


def s3_records(s3, bucket: str, prefix: str = "raw/") -> dict[str, list[dict]]:
    out = {}
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        body = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        out[obj["Key"]] = [json.loads(line) for line in body.decode().splitlines()]
    return out


def test_handler_lands_a_scheduled_run_into_s3_with_metrics(aws, monkeypatch, capsys) -> None:
    # Given app lines in CloudWatch from the last hour: 5 requests, Lambda noise and one broken line
    logs, s3 = aws
    now = datetime.now(UTC)
    lines = [
        (now - timedelta(minutes=50 - i), request_line(f"req-{i}", now - timedelta(minutes=50 - i)))
        for i in range(5)
    ]
    broken = '{"level":"INFO","message":"analytics.request","analytics":{"request_id":'
    lines += [
        (now - timedelta(minutes=40), "START RequestId: 1 Version: $LATEST"),
        (now - timedelta(minutes=39), broken),
    ]
    put(logs, lines)
    monkeypatch.setenv("LAKE_BUCKET", "lake")
    monkeypatch.setenv("LOG_GROUP_NAMES", GROUP)
    handler.dependencies.cache_clear()

    # When the scheduled event invokes the handler
    summary = handler.lambda_handler(load_event("scheduled_event.json"), LambdaContext())

    # Then the events are in S3 as gzip NDJSON, the broken line quarantined, the checkpoint saved
    assert (summary["read"], summary["landed"], summary["skipped"], summary["quarantined"]) == (7, 5, 1, 1)
    assert summary["caught_up"] is True
    raw = s3_records(s3, "lake")
    assert sorted(r["request_id"] for recs in raw.values() for r in recs) == [f"req-{i}" for i in range(5)]
    assert all(key.startswith("raw/request_events/ingest_date=") for key in raw)
    assert [r["reason"] for recs in s3_records(s3, "lake", "quarantine/").values() for r in recs] == [
        "invalid_json"
    ]
    state = json.loads(s3.get_object(Bucket="lake", Key=next(
        o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="_state/ingest/")["Contents"]
    ))["Body"].read())  # fmt: skip
    assert state["log_group"] == GROUP
    assert state["pending"] is None
    position = datetime.fromisoformat(state["position"])
    assert timedelta(minutes=1) < now - position < timedelta(minutes=3)
    # And the run's figures went out as EMF metrics in the RequestAnalytics namespace.
    emf = next(json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line)
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "RequestAnalytics"
    # Powertools writes each value as a list of data points.
    figures = [emf[name] for name in ("EventsRead", "EventsLanded", "LinesSkipped", "EventsQuarantined")]
    assert figures == [[7.0], [5.0], [1.0], [1.0]]
    assert 60 < emf["CheckpointLagSeconds"][0] < 180
    assert "RunDurationMs" in emf
    handler.dependencies.cache_clear()


def test_handler_explains_missing_settings(aws, monkeypatch) -> None:
    # Given no LAKE_BUCKET
    monkeypatch.delenv("LAKE_BUCKET", raising=False)
    monkeypatch.setenv("LOG_GROUP_NAMES", GROUP)
    handler.dependencies.cache_clear()

    # When the handler runs, Then it names the missing variable
    with pytest.raises(SettingsError, match="LAKE_BUCKET"):
        handler.lambda_handler(load_event("scheduled_event.json"), LambdaContext())
    handler.dependencies.cache_clear()


def land(logs, s3, bucket: str, now: datetime, settings: Settings, sink=None):
    sink = sink or S3Sink(s3, bucket)
    clock = FakeClock()
    source = CloudWatchSource(logs, sink, settings, sleep=clock.sleep, monotonic=clock.monotonic)
    return run(source, sink, settings, now)


@pytest.mark.parametrize(("overlap", "late_event_landed"), [(15, True), (0, False)])
def test_an_event_ingested_late_within_the_overlap_is_picked_up_next_run(
    aws, overlap, late_event_landed
) -> None:
    # Given an event A landed by a first run at T
    logs, s3 = aws
    settings = Settings(log_group_names=(GROUP,), overlap_minutes=overlap)
    t = minute_floor(datetime.now(UTC))
    put(logs, [(t - timedelta(minutes=10), request_line("A", t - timedelta(minutes=10)))])
    land(logs, s3, "lake", t, settings)
    # And an event B that happened at T - 4 min but reached CloudWatch only after that run
    put(logs, [(t - timedelta(minutes=4), request_line("B", t - timedelta(minutes=4)))])

    # When the next run happens at T + 8 min
    land(logs, s3, "lake", t + timedelta(minutes=8), settings)

    # Then B is in the lake thanks to the overlap (and would be lost without it)
    ids = [r["request_id"] for recs in s3_records(s3, "lake").values() for r in recs]
    assert ("B" in ids) is late_event_landed
    assert "A" in ids


def test_a_crash_half_way_then_a_rerun_leaves_every_event_once_and_no_extra_objects(aws) -> None:
    # Given 400 requests in the last 70 minutes and parts small enough to make many objects
    logs, s3 = aws
    t = minute_floor(datetime.now(UTC))
    times = [t - timedelta(seconds=10 * i + 130) for i in range(400)]
    put(logs, [(when, request_line(f"r-{i:03d}", when)) for i, when in enumerate(times)])
    settings = Settings(log_group_names=(GROUP,), part_max_bytes=16_384)
    reference = land(logs, s3, "reference", t, settings)
    expected_keys = sorted(s3_records(s3, "reference"))
    assert len(expected_keys) > 5

    # When the first run dies after writing 3 objects
    crashing = CrashingSink(S3Sink(s3, "lake"), fail_after=3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        land(logs, s3, "lake", t, settings, sink=crashing)
    after_crash = load_checkpoint(S3Sink(s3, "lake"), GROUP)
    assert len(s3_records(s3, "lake")) == 3

    # And Lambda retries the failed invocation at once (a run lands every window it has time for,
    # so a re-run 10 minutes later would also land the next window)
    land(logs, s3, "lake", t, settings)

    # Then the checkpoint had not advanced on the failed run, the re-run landed the same window
    # under the same keys with the same bytes, and every request is there exactly once
    assert after_crash.position is None
    assert after_crash.pending == (reference.batches[0].window_start, reference.batches[0].window_end)
    lake = s3_records(s3, "lake")
    assert sorted(lake) == expected_keys
    assert lake == s3_records(s3, "reference")
    ids = [r["request_id"] for recs in lake.values() for r in recs]
    assert sorted(ids) == sorted(f"r-{i:03d}" for i in range(400))
    checkpoint = load_checkpoint(S3Sink(s3, "lake"), GROUP)
    assert checkpoint.position == t - timedelta(minutes=2)
    assert checkpoint.pending is None

    # And the scheduled run after that moves on from the checkpoint, writing new keys for the new window only
    land(logs, s3, "lake", t + timedelta(minutes=10), settings)
    later = s3_records(s3, "lake")
    assert set(expected_keys) < set(later)
    assert load_checkpoint(S3Sink(s3, "lake"), GROUP).position == t + timedelta(minutes=8)
    distinct = {r["request_id"] for recs in later.values() for r in recs}
    assert distinct == {f"r-{i:03d}" for i in range(400)}


def test_handler_defers_log_groups_when_the_lambda_is_nearly_out_of_time(aws, monkeypatch) -> None:
    # Given a log group with events, and an invocation with 30 seconds left
    logs, s3 = aws
    now = datetime.now(UTC)
    put(logs, [(now - timedelta(minutes=10), request_line("late-1", now - timedelta(minutes=10)))])
    monkeypatch.setenv("LAKE_BUCKET", "lake")
    monkeypatch.setenv("LOG_GROUP_NAMES", GROUP)
    handler.dependencies.cache_clear()

    # When the handler runs
    summary = handler.lambda_handler(load_event("scheduled_event.json"), LambdaContext(remaining_ms=30_000))

    # Then it starts no window (none can die half way), says so, and the next run with time lands it
    assert summary["read"] == 0
    assert summary["caught_up"] is False
    assert summary["deferred_log_groups"] == [GROUP]
    assert s3_records(s3, "lake") == {}
    handler.dependencies.cache_clear()
    summary = handler.lambda_handler(load_event("scheduled_event.json"), LambdaContext())
    assert summary["landed"] == 1
    handler.dependencies.cache_clear()
