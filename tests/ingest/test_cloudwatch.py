"""CloudWatch source logic with scripted pages: paging, retries, rate limit, windows and catch-up.

moto cannot return empty pages that carry a token, nor throttle, so these tests script the pages
(a tiny fake client, or botocore's Stubber on a real client); tests/ingest/test_aws.py runs the
same source against moto.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ingest_lambda.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ingest_lambda.run import run
from ingest_lambda.settings import Settings
from ingest_lambda.sources import CloudWatchSource
from tests.ingest.conftest import FakeClock, MemorySink, ScriptedLogsClient, load_event

GROUP = "/aws/lambda/storefront"
NOW = datetime(2026, 11, 20, 12, 10, tzinfo=UTC)
SETTINGS = Settings(log_group_names=(GROUP,))


def page_fixture() -> dict:
    page = copy.deepcopy(load_event("filter_log_events_page.json"))
    page.pop("ResponseMetadata")
    return page


def source_for(client, sink: MemorySink, clock: FakeClock, settings: Settings = SETTINGS) -> CloudWatchSource:
    return CloudWatchSource(
        client, sink, settings, sleep=clock.sleep, monotonic=clock.monotonic, rng=random.Random(0)
    )


def throttle(code: str = "ThrottlingException", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "Rate exceeded"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "FilterLogEvents",
    )


def test_paging_follows_tokens_through_empty_pages() -> None:
    # Given pages where the first and third are empty but still carry a token
    page = page_fixture()
    last_event = dict(
        page["events"][2],
        eventId="last",
        message=page["events"][2]["message"].replace("req-0002", "req-0003"),
    )
    client = ScriptedLogsClient(
        [{"events": [], "nextToken": "t1"}, page, {"events": [], "nextToken": "t3"}, {"events": [last_event]}]
    )
    sink, clock = MemorySink(), FakeClock()

    # When one run reads the window
    report = run(source_for(client, sink, clock), sink, SETTINGS, NOW)

    # Then every page was fetched with the previous page's token, and every event landed
    assert [c.get("nextToken") for c in client.calls] == [None, "t1", page["nextToken"], "t3"]
    assert len({(c["startTime"], c["endTime"], c["filterPattern"]) for c in client.calls}) == 1
    summary = report.summary()
    assert (summary["read"], summary["landed"], summary["skipped"]) == (4, 3, 1)
    assert sorted(r["request_id"] for r in sink.records()) == ["req-0001", "req-0002", "req-0003"]
    assert {r["log_stream"] for r in sink.records()} == {page["events"][1]["logStreamName"]}
    assert sink.records()[0]["event_id"] == page["events"][1]["eventId"]


def test_first_window_reads_the_lookback_plus_overlap_up_to_the_settle_lag() -> None:
    # Given no checkpoint yet
    client = ScriptedLogsClient([{"events": []}])
    sink = MemorySink()

    # When the first run happens at NOW
    run(source_for(client, sink, FakeClock()), sink, SETTINGS, NOW)

    # Then it read [NOW - 60 min lookback - 15 min overlap, NOW - 2 min) and saved NOW - 2 min
    (call,) = client.calls
    assert call["startTime"] == int((NOW - timedelta(minutes=75)).timestamp() * 1000)
    assert call["endTime"] == int((NOW - timedelta(minutes=2)).timestamp() * 1000) - 1
    assert call["filterPattern"] == '{ $.message = "analytics.request" }'
    checkpoint = load_checkpoint(sink, GROUP)
    assert checkpoint.position == NOW - timedelta(minutes=2)
    assert checkpoint.pending is None


def test_throttling_and_5xx_are_retried_with_backoff_then_succeed() -> None:
    # Given a real logs client whose first two answers are a throttle and a 503
    logs = boto3.client("logs", region_name="eu-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(logs)
    stubber.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded", 400)
    stubber.add_client_error("filter_log_events", "ServiceUnavailableException", "Try later", 503)
    page = page_fixture()
    stubber.add_response("filter_log_events", page)
    stubber.add_response("filter_log_events", {"events": []})
    sink, clock = MemorySink(), FakeClock()
    source = source_for(logs, sink, clock)

    # When the run reads the window
    with stubber:
        report = run(source, sink, SETTINGS, NOW)

    # Then the events landed after two retries, each backoff within its exponential cap
    assert report.summary()["landed"] == 2
    assert (source.calls, source.retries) == (4, 2)
    stubber.assert_no_pending_responses()
    assert load_checkpoint(sink, GROUP).position == NOW - timedelta(minutes=2)


def test_backoff_sleeps_grow_within_full_jitter_caps_and_give_up_after_max_attempts() -> None:
    # Given a client that throttles every call
    clock = FakeClock()
    client = ScriptedLogsClient([throttle() for _ in range(8)], clock)
    sink = MemorySink()
    source = source_for(client, sink, clock)

    # When the run tries to read
    with pytest.raises(ClientError, match="ThrottlingException"):
        run(source, sink, SETTINGS, NOW)

    # Then it tried 8 times, waited between tries for no longer than 0.2 s * 2^attempt (capped at 10 s)
    assert len(client.calls) == 8
    gaps = [b - a for a, b in zip(client.call_times, client.call_times[1:], strict=False)]
    for attempt, gap in enumerate(gaps):
        assert 0.2 - 1e-9 <= gap <= max(0.2, min(10.0, 0.2 * 2**attempt)) + 1e-9
    # And the checkpoint did not advance: the window is still pending for the next run.
    checkpoint = load_checkpoint(sink, GROUP)
    assert checkpoint.position is None
    assert checkpoint.pending == (NOW - timedelta(minutes=75), NOW - timedelta(minutes=2))


def test_errors_that_are_not_transient_are_not_retried() -> None:
    # Given a client that answers AccessDenied
    clock = FakeClock()
    client = ScriptedLogsClient([throttle("AccessDeniedException", 400)], clock)
    sink = MemorySink()

    # When the run reads, Then it fails at once
    with pytest.raises(ClientError, match="AccessDenied"):
        run(source_for(client, sink, clock), sink, SETTINGS, NOW)
    assert len(client.calls) == 1


def test_calls_stay_under_the_filterlogevents_rate_limit() -> None:
    # Given 12 empty pages with tokens (a sparse window)
    clock = FakeClock()
    pages = [{"events": [], "nextToken": f"t{i}"} for i in range(11)] + [{"events": []}]
    client = ScriptedLogsClient(pages, clock)
    sink = MemorySink()

    # When the run pages through them
    run(source_for(client, sink, clock), sink, SETTINGS, NOW)

    # Then consecutive calls are at least 1/5 s apart: never more than 5 per second
    gaps = [b - a for a, b in zip(client.call_times, client.call_times[1:], strict=False)]
    assert len(gaps) == 11
    assert min(gaps) >= 0.2 - 1e-9


class EmptyLogs:
    """Every window is empty; records the windows asked for."""

    def __init__(self) -> None:
        self.windows: list[tuple[int, int]] = []

    def filter_log_events(self, **kwargs) -> dict:
        self.windows.append((kwargs["startTime"], kwargs["endTime"] + 1))
        return {"events": []}


def test_after_an_outage_a_run_catches_up_in_bounded_overlapping_windows_each_committed() -> None:
    # Given a checkpoint two days behind
    sink, logs = MemorySink(), EmptyLogs()
    save_checkpoint(sink, Checkpoint(GROUP, NOW - timedelta(days=2)), NOW)
    positions: list[datetime | None] = []

    # When one run (with time enough) reads until it is caught up
    source = source_for(logs, sink, FakeClock())
    report = run(
        source,
        sink,
        SETTINGS,
        NOW,
        on_batch=lambda _: positions.append(load_checkpoint(sink, GROUP).position),
    )

    # Then each window spans at most MAX_WINDOW_MINUTES and overlaps the previous one by 15 minutes,
    # the checkpoint was committed after every window (it moved forward each time), and the last
    # window reaches now - 2 minutes
    ms = 60_000
    assert all(end - start <= 360 * ms for start, end in logs.windows)
    for (_, prev_end), (start, _) in zip(logs.windows, logs.windows[1:], strict=False):
        assert prev_end - start == 15 * ms
    assert len(logs.windows) == 9  # ceil((2 days - 2 min) / 345 min)
    assert [int(p.timestamp() * 1000) for p in positions if p] == [end for _, end in logs.windows]
    assert report.caught_up is True
    assert source.lag_seconds[GROUP] == 120.0
    assert logs.windows[-1][1] == int((NOW - timedelta(minutes=2)).timestamp() * 1000)


def test_a_run_with_nothing_new_reads_nothing() -> None:
    # Given a checkpoint that is already at now - settle lag
    sink, logs = MemorySink(), EmptyLogs()
    save_checkpoint(sink, Checkpoint(GROUP, NOW - timedelta(minutes=2)), NOW)

    # When a run happens at the same time
    report = run(source_for(logs, sink, FakeClock()), sink, SETTINGS, NOW)

    # Then no call is made and no object written
    assert logs.windows == []
    assert report.batches == []
    assert sink.data_keys("raw/") == []


def test_a_window_that_keeps_failing_counts_its_replays_for_the_alarm() -> None:
    # Given a log group whose window fails on every attempt (a page the Lambda cannot get past)
    sink = MemorySink()
    replays = []

    # When three runs in a row each die in it
    for _ in range(3):
        clock = FakeClock()
        source = source_for(ScriptedLogsClient([throttle("AccessDeniedException")], clock), sink, clock)
        with pytest.raises(ClientError):
            run(source, sink, SETTINGS, NOW)
        replays.append(source.max_replays)

    # Then each run started the same pending position once more, and says how many times
    assert replays == [0, 1, 2]
    assert load_checkpoint(sink, GROUP).attempts == 2
    # And a run that lands it resets the count
    clock = FakeClock()
    run(source_for(ScriptedLogsClient([{"events": []}], clock), sink, clock), sink, SETTINGS, NOW)
    checkpoint = load_checkpoint(sink, GROUP)
    assert (checkpoint.pending, checkpoint.attempts) == (None, 0)


def test_a_split_window_resumes_from_its_saved_page_or_from_its_start_once_the_token_expired() -> None:
    # Given a window split at page "t7" by an earlier run (segment 1 next)
    sink = MemorySink()
    window = (NOW - timedelta(minutes=75), NOW - timedelta(minutes=2))
    save_checkpoint(sink, Checkpoint(GROUP, None, window, "t7", 1), NOW)
    page = page_fixture()
    page.pop("nextToken", None)

    # When the next run resumes it
    clock = FakeClock()
    client = ScriptedLogsClient([page], clock)
    report = run(source_for(client, sink, clock), sink, SETTINGS, NOW)

    # Then it asked for that page, landed it as the window's segment 1, and committed the window
    assert [c.get("nextToken") for c in client.calls] == ["t7"]
    assert all("-s001-" in key for key in report.batches[0].keys)
    assert load_checkpoint(sink, GROUP) == Checkpoint(GROUP, window[1])

    # Given the same split, but CloudWatch no longer accepts the token (tokens expire after a day)
    sink = MemorySink()
    save_checkpoint(sink, Checkpoint(GROUP, None, window, "t7", 1), NOW)
    expired = ClientError(
        {"Error": {"Code": "InvalidParameterException", "Message": "The specified nextToken has expired."}},
        "FilterLogEvents",
    )
    clock = FakeClock()
    client = ScriptedLogsClient([expired, page], clock)
    source = source_for(client, sink, clock)

    # When the next run resumes it, Then it reads the window from its start, under segment 1's names
    report = run(source, sink, SETTINGS, NOW)
    assert [c.get("nextToken") for c in client.calls] == ["t7", None]
    assert source.tokens_expired == 1
    assert report.summary()["landed"] == 2
    assert all("-s001-" in key for key in report.batches[0].keys)
