"""Grains, date ranges and dense series; pure functions over `datetime` (all UTC, naive).

`from`/`to` are dates with `to` inclusive. A range is widened to whole periods of its grain
(a week starts on Monday, ISO), and the widened range is what gets counted and reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from api_lambda.errors import bad_request

Grain = Literal["hour", "day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("hour", "day", "week", "month")
# Longest requested span (days from `from` to `to`, inclusive) per grain; bounds the size of
# an answer (744 hourly points, 731 daily, 262 weekly, 60 monthly) and the bytes a query scans.
MAX_SPAN_DAYS: dict[str, int] = {"hour": 31, "day": 731, "week": 1827, "month": 1827}
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_DATE_RE = re.compile(DATE_PATTERN)
# Far enough from date.min/date.max that widening and `to + 1 day` never overflow.
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(9998, 12, 31)


@dataclass(frozen=True)
class DateRange:
    """A widened, validated range: whole periods of `grain` from `start` to `end` (inclusive)."""

    grain: Grain
    start: date
    end: date

    @property
    def start_ts(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day)

    @property
    def end_exclusive_ts(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day) + timedelta(days=1)

    def period_starts(self) -> list[datetime]:
        starts: list[datetime] = []
        current = self.start_ts
        stop = self.end_exclusive_ts
        while current < stop:
            starts.append(current)
            current = next_period(current, self.grain)
        return starts


def parse_date(value: str, field: str) -> date:
    if not _DATE_RE.fullmatch(value):
        raise bad_request(f"{field} must be a date written YYYY-MM-DD", field=field)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{field} is not a calendar date", field=field) from None
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise bad_request(f"{field} must be between {MIN_DATE} and {MAX_DATE}", field=field)
    return parsed


def parse_optional_date(value: str | None, field: str) -> date | None:
    return None if value is None else parse_date(value, field)


def resolve_range(from_: str, to: str, grain: Grain) -> DateRange:
    """Validate `from`/`to` for `grain` and widen them to whole periods."""
    start, end = parse_date(from_, "from"), parse_date(to, "to")
    check_order(start, end)
    span = (end - start).days + 1
    if span > MAX_SPAN_DAYS[grain]:
        raise bad_request(
            f"grain={grain} covers at most {MAX_SPAN_DAYS[grain]} days; this range has {span}",
            field="to",
        )
    return DateRange(grain, floor_date(start, grain), last_day_of_period(end, grain))


def check_order(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise bad_request("from must not be after to", field="from")


def whole_periods(start: date, end: date) -> tuple[Grain, int]:
    """The coarsest of month, week and day whose whole periods make up [start, end] exactly,
    and how many periods that is.

    The aggregate marts hold exact distinct sessions per period of these grains, so a range
    that is one such period is answered from one row per key, and a longer range from fewer
    rows the coarser its periods.
    """
    if start.day == 1 and last_day_of_period(end, "month") == end:
        return "month", (end.year - start.year) * 12 + end.month - start.month + 1
    if start.weekday() == 0 and end.weekday() == 6:
        return "week", ((end - start).days + 1) // 7
    return "day", (end - start).days + 1


def floor_date(day: date, grain: Grain) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def last_day_of_period(day: date, grain: Grain) -> date:
    if grain == "week":
        return floor_date(day, grain) + timedelta(days=6)
    if grain == "month":
        first_of_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        return first_of_next - timedelta(days=1)
    return day


def next_period(start: datetime, grain: Grain) -> datetime:
    if grain == "hour":
        return start + timedelta(hours=1)
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return (start.replace(day=1) + timedelta(days=32)).replace(day=1)


def dense_series(
    date_range: DateRange, rows: Iterable[tuple[datetime, int, int]]
) -> list[tuple[datetime, int, int]]:
    """One `(period_start, sessions, requests)` per period of the range, zero where none."""
    found: Mapping[datetime, tuple[int, int]] = {start: (s, r) for start, s, r in rows}
    return [(start, *found.get(start, (0, 0))) for start in date_range.period_starts()]


def format_period(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def format_instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
