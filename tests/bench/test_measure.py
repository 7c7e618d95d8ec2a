"""The percentile definition and the per-child peak memory the bench reports."""

from __future__ import annotations

import sys

import pytest

from bench.measure import median, percentile, ratio, run_child


def test_percentile_interpolates_between_closest_ranks():
    # Given the latencies 1..10 ms
    values = [float(v) for v in range(10, 0, -1)]
    # When p50 and p99 are taken
    # Then they follow rank = q/100 * (n - 1) with linear interpolation (numpy's default)
    assert percentile(values, 50) == pytest.approx(5.5)
    assert percentile(values, 99) == pytest.approx(9.91)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 10.0
    assert median([3.0, 1.0, 2.0]) == 2.0


def test_percentile_of_one_value_is_that_value_and_of_none_is_an_error():
    # Given a single sample, then every percentile is that sample
    assert percentile([42.0], 99) == 42.0
    # Given no samples or an out-of-range q, then the call refuses instead of guessing
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"within 0\.\.100"):
        percentile([1.0], 101)


def test_ratio_without_a_baseline_is_none():
    assert ratio(3.0, 1.5) == 2.0
    assert ratio(3.0, 0) is None


def test_child_peak_memory_is_its_own():
    # Given one child that holds 200 MB and then one that holds almost nothing
    big = run_child(
        [sys.executable, "-c", "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"]
    )
    small = run_child([sys.executable, "-c", "pass"])
    # When their peak RSS is read from wait4 on each child
    # Then the big one shows at least its 200 MB and the small one does not inherit that peak
    assert big.returncode == 0
    assert small.returncode == 0
    assert big.max_rss_bytes >= 200 * 1024 * 1024
    assert small.max_rss_bytes < 50 * 1024 * 1024
    assert small.seconds > 0


def test_a_failed_child_raises_with_its_output():
    # Given a child that exits 3 after printing a reason
    child = run_child([sys.executable, "-c", "import sys; print('broken lake'); sys.exit(3)"])
    # Then check() raises and names the exit code and the output
    assert child.returncode == 3
    with pytest.raises(RuntimeError, match=r"exited 3[\s\S]*broken lake"):
        child.check()
