"""Delivery by ingestion: the CloudWatch Logs subscription, beside the poller that reads by event time.

The fixture `subscription_data_message.json` is a subscription delivery as CloudWatch decodes it: a
START line, a request delivered at 12:05 (which the poller also reads), and a request whose
timestamp is 09:09, ingested by CloudWatch only at about 12:09 (a batched, retried PutLogEvents).
The handler receives it gzip-compressed and base64-encoded under `awslogs.data`, as `encode` makes it.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ingest_lambda import handler
from ingest_lambda.run import run
from ingest_lambda.settings import Settings
from ingest_lambda.sinks import LocalSink
from ingest_lambda.sources import CloudWatchSource, SubscriptionError, SubscriptionSource, decode_subscription
from tests.conftest import local_dbt_args
from tests.conftest import run as run_command
from tests.dbt.dbt_helpers import DBT, scalar
from tests.ingest.conftest import FakeClock, MemorySink, lake_records, load_event

GROUP = "/aws/lambda/storefront"
# CloudWatch hands the delivery to the ingest a few seconds after ingesting its last event.
DELIVERED_AT = datetime(2026, 11, 20, 12, 9, 5, tzinfo=UTC)
LATE_ID, TWICE_ID = "req-three-hours-late", "req-delivered-twice"
REGION = "eu-west-2"


def encode(payload: dict[str, Any]) -> dict[str, Any]:
    """The Lambda event CloudWatch Logs sends: the payload as gzip JSON in base64 under awslogs.data."""
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}


def delivery() -> dict[str, Any]:
    return encode(load_event("subscription_data_message.json"))


class EventTimeLogs:
    """FilterLogEvents as CloudWatch answers it: the events whose *timestamp* is in the window and
    that were ingested by the time of the call (`now_ms`), whenever that was."""

    def __init__(self, events: list[dict[str, Any]], now_ms: int) -> None:
        self.events = events
        self.now_ms = now_ms
        self.windows: list[tuple[int, int]] = []

    def filter_log_events(self, *, startTime: int, endTime: int, **_: Any) -> dict[str, Any]:
        self.windows.append((startTime, endTime))
        found = [
            e
            for e in self.events
            if startTime <= e["timestamp"] <= endTime and e["ingestionTime"] <= self.now_ms
        ]
        return {"events": found}


def cloudwatch_events() -> list[dict[str, Any]]:
    """The fixture's events as FilterLogEvents would return them, with the time CloudWatch ingested
    each: on time, but the late request, 3 hours after its timestamp."""
    payload = load_event("subscription_data_message.json")
    events = []
    for e in payload["logEvents"]:
        late = LATE_ID in e["message"]
        ingested = e["timestamp"] + (3 * 3600 * 1000 if late else 1000)
        events.append(
            {
                "logStreamName": payload["logStream"],
                "timestamp": e["timestamp"],
                "ingestionTime": ingested,
                "message": e["message"],
                "eventId": e["id"],
            }
        )
    return events


def poll(sink: Any, now: datetime) -> tuple[Any, EventTimeLogs]:
    logs = EventTimeLogs(cloudwatch_events(), int(now.timestamp() * 1000))
    clock = FakeClock()
    settings = Settings(log_group_names=(GROUP,))
    source = CloudWatchSource(
        logs, sink, settings, sleep=clock.sleep, monotonic=clock.monotonic, rng=random.Random(0)
    )
    return run(source, sink, settings, now), logs


def test_an_event_three_hours_older_than_its_ingestion_is_landed_by_the_subscription() -> None:
    # Given the delivery, whose request req-three-hours-late reached CloudWatch 3 hours after its timestamp
    sink = MemorySink()
    source = SubscriptionSource(decode_subscription(delivery()))

    # When the subscription delivery is landed
    report = run(source, sink, Settings(), DELIVERED_AT)

    # Then both requests are landed and counted, the START line skipped, and the lag is measured
    summary = report.summary()
    assert (summary["read"], summary["landed"], summary["skipped"], summary["quarantined"]) == (3, 2, 1, 0)
    records = {r["request_id"]: r for r in sink.records()}
    assert set(records) == {LATE_ID, TWICE_ID}
    assert records[LATE_ID]["occurred_at"] == "2026-11-20T09:09:00.000000Z"
    assert records[LATE_ID]["log_group"] == GROUP
    assert records[LATE_ID]["event_id"] == "39311578183036146217431207318823829024016234105765216258"
    assert records[LATE_ID]["ingested_at"].startswith("2026-11-20T12:09:05")
    assert source.lag.max_seconds == pytest.approx(3 * 3600 + 5, abs=1)
    # And the objects are named by the delivery alone, under the day it landed
    (key,) = sink.data_keys()
    assert key.startswith("raw/request_events/ingest_date=2026-11-20/sub-")


def test_the_poller_alone_never_reads_that_event_and_the_subscription_does() -> None:
    # Given the poller's run at 12:10 (before the late event reached CloudWatch) and the next at 12:20
    sink = MemorySink()
    poll(sink, datetime(2026, 11, 20, 12, 10, tzinfo=UTC))
    _, logs = poll(sink, datetime(2026, 11, 20, 12, 20, tzinfo=UTC))

    # Then the poller read only the on-time request: the late one's timestamp lies before every
    # window it reads from then on, so FilterLogEvents never returns it
    assert {r["request_id"] for r in sink.records()} == {TWICE_ID}
    late_ms = next(e["timestamp"] for e in cloudwatch_events() if LATE_ID in e["message"])
    assert all(start > late_ms for start, _ in logs.windows)

    # When the subscription delivers it
    run(SubscriptionSource(decode_subscription(delivery())), sink, Settings(), DELIVERED_AT)

    # Then it is in the lake
    assert LATE_ID in {r["request_id"] for r in sink.records()}


def test_a_retried_delivery_overwrites_its_own_objects() -> None:
    # Given a delivery landed once
    sink = MemorySink()
    run(SubscriptionSource(decode_subscription(delivery())), sink, Settings(), DELIVERED_AT)
    first = sink.data_keys()

    # When Lambda retries the same delivery a minute later
    run(
        SubscriptionSource(decode_subscription(delivery())),
        sink,
        Settings(),
        DELIVERED_AT + timedelta(minutes=1),
    )

    # Then it wrote the same keys again (no new object) and each request is there once
    assert sink.data_keys() == first
    assert sorted(r["request_id"] for r in sink.records()) == sorted([LATE_ID, TWICE_ID])


def test_a_control_message_lands_nothing_and_a_malformed_event_is_refused_loudly() -> None:
    # Given CloudWatch's control message (sent when the subscription is created)
    sink = MemorySink()
    source = SubscriptionSource(decode_subscription(encode(load_event("subscription_control_message.json"))))

    # When it is landed, Then nothing is written
    assert run(source, sink, Settings(), DELIVERED_AT).batches == []
    assert sink.objects == {}
    # And a payload that is not base64 gzip JSON is refused with a reason (Lambda then retries it
    # and keeps it in the failure queue), never taken for an empty delivery
    for bad in (
        {"awslogs": {"data": "not base64!"}},
        {"awslogs": {"data": base64.b64encode(b"plain").decode()}},
    ):
        with pytest.raises(SubscriptionError, match="not a CloudWatch Logs subscription event"):
            decode_subscription(bad)


def test_an_event_delivered_twice_counts_once_in_the_warehouse(tmp_path: Path) -> None:
    # Given a local lake where the poller landed the on-time request at 12:10, and the subscription
    # landed both requests (the late one only it could deliver)
    lake = tmp_path / "lake"
    sink = LocalSink(lake)
    poll(sink, datetime(2026, 11, 20, 12, 10, tzinfo=UTC))
    run(SubscriptionSource(decode_subscription(delivery())), sink, Settings(), DELIVERED_AT)
    landed = [r["request_id"] for r in lake_records(lake)]
    assert sorted(landed) == sorted([TWICE_ID, TWICE_ID, LATE_ID])

    # When the dbt project is built over that lake on DuckDB
    warehouse = tmp_path / "warehouse.duckdb"
    run_command(
        [str(DBT), *local_dbt_args("run"), "--select", "+fct_requests"],
        env={"LAKE_ROOT": str(lake), "WAREHOUSE_PATH": str(warehouse)},
    )

    # Then each request counts once: the late one too, on the day it happened
    rows = scalar(
        warehouse,
        "select list(request_id || '@' || cast(cast(occurred_at as date) as varchar) order by request_id) "
        "from wh.marts.fct_requests",
    )
    assert rows == [f"{TWICE_ID}@2026-11-20", f"{LATE_ID}@2026-11-20"]


@pytest.fixture
def s3(aws_credentials):
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket="lake", CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client


def test_the_handler_lands_a_subscription_delivery_in_s3_with_its_lag_metric(s3, monkeypatch, capsys) -> None:
    # Given the Lambda's settings (the subscription needs no log group list) and its clock
    monkeypatch.setenv("LAKE_BUCKET", "lake")
    monkeypatch.delenv("LOG_GROUP_NAMES", raising=False)
    monkeypatch.setattr(handler, "clock", lambda: DELIVERED_AT)
    handler.dependencies.cache_clear()

    # When CloudWatch Logs invokes it with the delivery
    from tests.ingest.test_aws import LambdaContext

    summary = handler.lambda_handler(delivery(), LambdaContext())

    # Then both requests are in S3 and IngestLagSeconds reports the 3 hours
    assert (summary["source"], summary["landed"], summary["skipped"]) == ("subscription", 2, 1)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="raw/")["Contents"]]
    assert len(keys) == 1
    body = gzip.decompress(s3.get_object(Bucket="lake", Key=keys[0])["Body"].read())
    assert sorted(json.loads(line)["request_id"] for line in body.splitlines()) == sorted([LATE_ID, TWICE_ID])
    emf = next(json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line)
    assert emf["IngestLagSeconds"] == [pytest.approx(3 * 3600 + 5, abs=1)]
    assert emf["EventsLanded"] == [2.0]
    # And a control message is answered without landing anything
    control = handler.lambda_handler(encode(load_event("subscription_control_message.json")), LambdaContext())
    assert control == {"source": "subscription", "control_message": True}
    handler.dependencies.cache_clear()
