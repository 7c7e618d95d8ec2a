"""The aggregates' partition buckets, as dbt stores them (macro `period_bucket_classes` in
dbt_project/macros/metrics.sql; docs/adr/0010-aggregate-period-buckets.md).

A row's `period_bucket` is the first day of the day, month or year its period starts in, the unit
set by the row's grain and level. The query layer bounds `period_bucket` as well as
`period_start`, so a reader skips the other buckets' manifests and files on their partition
values. The twin's API test checks that this table and dbt's agree on every stored row.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from api_lambda.periods import Grain
from api_lambda.scope import Level

Unit = Literal["day", "month", "year"]

_COARSE_LEVELS: frozenset[str] = frozenset({"global", "client", "reseller"})


def bucket_unit(grain: Grain, level: Level) -> Unit:
    """The unit of the buckets of `grain` rows at `level`."""
    coarse = level in _COARSE_LEVELS
    if grain == "hour":
        return "month" if coarse else "day"
    return "year" if coarse else "month"


def period_bucket(grain: Grain, level: Level, day: date) -> date:
    """The bucket of a `grain` period at `level` starting on `day`."""
    unit = bucket_unit(grain, level)
    if unit == "year":
        return date(day.year, 1, 1)
    if unit == "month":
        return date(day.year, day.month, 1)
    return day
