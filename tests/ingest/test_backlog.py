"""A 6-hour backlog at 10M requests a day, caught up by runs that each have 600 s.

The fake CloudWatch below behaves as FilterLogEvents does where it matters for catch-up: at most
5 calls a second (a faster call is throttled), pages of 1 MB (2,000 lines of about 500 bytes),
each call taking time, and page tokens tied to the window they were issued for. Time is a fake
clock that moves only when a call is made or the code sleeps, so the test never sleeps for real.

To stay fast, each page carries a sample of its 2,000 events: its first and last event and every
500th event of the stream, each a real analytics line with its own request id. A page still costs
what a full 1 MB page costs in calls and time, so the run's budget is spent as at 10M a day, and the
sample sits exactly where a split or a resumed page could lose or double events: at page edges.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from ingest_lambda.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ingest_lambda.emit import analytics_line
from ingest_lambda.run import run
from ingest_lambda.settings import Settings
from ingest_lambda.sources import CloudWatchSource
from tests.ingest.conftest import FakeClock, MemorySink

GROUP = "/aws/lambda/storefront"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
REQUESTS_PER_DAY = 10_000_000
EVENTS_PER_PAGE = 2_000  # 1 MB pages of ~500-byte lines
SECONDS_PER_PAGE = 0.5  # what one 1 MB FilterLogEvents call takes
SAMPLE_EVERY = 500
BUDGET_SECONDS = 600.0  # the Lambda's timeout
SETTINGS = Settings(log_group_names=(GROUP,))


def timestamp_ms(index: int, origin_ms: int) -> int:
    # 10M a day is one event every 8.64 ms
    return origin_ms + index * 86_400_000 // REQUESTS_PER_DAY


class FakeCloudWatch:
    """An endless stream of app events from `origin` on, served as FilterLogEvents serves it."""

    def __init__(self, clock: FakeClock, origin: datetime) -> None:
        self.clock = clock
        self.origin_ms = int(origin.timestamp() * 1000)
        self.last_call: float | None = None
        self.throttled = 0
        self.requests: list[tuple[int, int, str | None]] = []
        self.served: Counter[tuple[int, int, int]] = Counter()  # (window start, end, event index)
        self.lines: dict[int, str] = {}

    def first_index_at(self, ms: int) -> int:
        index = max(0, (ms - self.origin_ms) * REQUESTS_PER_DAY // 86_400_000)
        while timestamp_ms(index, self.origin_ms) < ms:
            index += 1
        while index > 0 and timestamp_ms(index - 1, self.origin_ms) >= ms:
            index -= 1
        return index

    def event(self, index: int) -> dict:
        ts = timestamp_ms(index, self.origin_ms)
        if index not in self.lines:
            occurred = datetime.fromtimestamp(ts / 1000, UTC)
            self.lines[index] = analytics_line(
                request_id=f"r-{index}", session_id=f"s-{index // 20}", client_id="acme",
                reseller_id="north-shop", user_id="u-1", method="GET", path="/products/42",
                status=200, duration_ms=12, occurred_at=occurred,
            )  # fmt: skip
        return {
            "logStreamName": "2026/11/20/[$LATEST]abc",
            "timestamp": ts,
            "ingestionTime": ts + 300,
            "message": self.lines[index],
            "eventId": f"e-{index}",
        }

    def filter_log_events(
        self,
        *,
        logGroupName: str,
        startTime: int,
        endTime: int,
        filterPattern: str,
        nextToken: str | None = None,
    ) -> dict:
        assert logGroupName == GROUP
        assert filterPattern == SETTINGS.filter_pattern
        if self.last_call is not None and self.clock.now - self.last_call < 0.2 - 1e-9:
            self.throttled += 1
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "FilterLogEvents"
            )
        self.last_call = self.clock.now
        self.requests.append((startTime, endTime, nextToken))
        self.clock.now += SECONDS_PER_PAGE
        page = 0
        if nextToken is not None:
            start, end, number = (int(part) for part in nextToken.split(":"))
            # A token belongs to the query it came from, as CloudWatch's do.
            assert (start, end) == (startTime, endTime), "token used with another window"
            page = number
        first, last = self.first_index_at(startTime), self.first_index_at(endTime + 1)  # endTime inclusive
        low = first + page * EVENTS_PER_PAGE
        high = min(low + EVENTS_PER_PAGE, last)
        sampled = sorted({low, high - 1, *range(low + (-low) % SAMPLE_EVERY, high, SAMPLE_EVERY)})
        sampled = [i for i in sampled if low <= i < high]
        self.served.update((startTime, endTime, i) for i in sampled)
        answer: dict = {"events": [self.event(i) for i in sampled]}
        if high < last:
            answer["nextToken"] = f"{startTime}:{endTime}:{page + 1}"
        return answer


def test_a_six_hour_backlog_at_10m_a_day_is_caught_up_in_600_s_runs_nothing_lost_nothing_doubled() -> None:
    # Given a checkpoint 6 hours behind, a stream of 10M events a day, and runs every 10 minutes
    # that each have 600 s (the Lambda's timeout)
    clock = FakeClock()
    backlog_start = NOW - timedelta(hours=6)
    logs = FakeCloudWatch(clock, origin=backlog_start - timedelta(hours=1))
    sink = MemorySink()
    save_checkpoint(sink, Checkpoint(GROUP, backlog_start), NOW)
    reports, run_seconds, split = [], [], 0

    # When runs follow one another until one reports it is caught up
    for number in range(6):
        now = NOW + timedelta(minutes=10 * number)
        deadline = clock.now + BUDGET_SECONDS
        source = CloudWatchSource(
            logs, sink, SETTINGS, sleep=clock.sleep, monotonic=clock.monotonic,
            rng=random.Random(0), seconds_left=lambda deadline=deadline: deadline - clock.now,
        )  # fmt: skip
        started = clock.now
        reports.append(run(source, sink, SETTINGS, now))
        run_seconds.append(clock.now - started)
        split += source.segments_cut
        if reports[-1].caught_up:
            break
        clock.now = started + 600  # the next scheduled invocation

    # Then it caught up within a few runs, each inside its budget and under 5 calls a second
    assert reports[-1].caught_up is True
    assert 2 <= len(reports) <= 4
    assert all(seconds <= BUDGET_SECONDS for seconds in run_seconds)
    assert logs.throttled == 0
    final = load_checkpoint(sink, GROUP)
    assert final.pending is None
    assert final.position == NOW + timedelta(minutes=10 * (len(reports) - 1)) - timedelta(minutes=2)
    # And the 6-hour window that could not finish in one run was split at a page, not replayed:
    # no page of any window was asked for twice
    assert split >= 1
    assert len(set(logs.requests)) == len(logs.requests)
    # And no window served an event twice, and the lake holds every event exactly as often as the
    # windows served it: a split, a resumed page or a run boundary neither lost nor doubled one
    # (only the 15-minute overlap of consecutive windows is read twice, by design; staging dedupes
    # on request_id)
    assert max(logs.served.values()) == 1
    landed = Counter(int(r["request_id"][2:]) for r in sink.records())
    assert landed == Counter(index for _, _, index in logs.served)
    # And nothing of the stream is missing from the first window's start to the final checkpoint
    first = logs.first_index_at(min(start for start, _, _ in logs.requests))
    last = logs.first_index_at(int(final.position.timestamp() * 1000)) - 1
    assert (min(landed), max(landed)) == (first, last)
    assert set(range(first + (-first) % SAMPLE_EVERY, last + 1, SAMPLE_EVERY)) <= set(landed)
    assert len(landed) > 6_000  # the sample of about 2.8M events (every 500th, and page edges)
