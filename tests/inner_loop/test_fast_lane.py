"""The fast lane's marks come from what a test uses (tests/conftest.py), not from hand marks."""

from __future__ import annotations

import pytest

from tests.conftest import _calls, slow_reason


def uses_dbt_in_its_body(monkeypatch):
    dbt_in_process(["run"], {}, monkeypatch)  # noqa: F821 (only parsed, never called)


def pure_arithmetic():
    return sum(range(3))


@pytest.mark.parametrize(
    ("fixtures", "reason"),
    [
        ({"tmp_path", "monkeypatch"}, None),
        ({"tmp_path", "built_warehouse"}, "slow"),
        ({"oracle", "built_warehouse", "simulated_lake"}, "slow"),
        ({"moto_endpoint", "athena_env"}, "slow"),
        ({"report", "tests/terraform/test_checkov.py::report"}, "slow"),
        ({"report", "tests/bench/test_x.py::report"}, None),
        ({"page", "browser", "built_warehouse"}, "browser"),
        ({"trino_server"}, "slow"),
        ({"twin_lake"}, "slow"),
    ],
)
def test_fixtures_decide_the_lane(fixtures: set[str], reason: str | None):
    assert slow_reason(fixtures) == reason


def test_a_test_body_that_runs_dbt_is_slow_and_one_that_does_not_is_fast():
    # Given two functions' code; When their calls are read; Then only the dbt one is slow
    assert slow_reason(set(), _calls(uses_dbt_in_its_body.__code__)) == "slow"
    assert slow_reason(set(), _calls(pure_arithmetic.__code__)) is None


def test_this_suite_marks_what_it_collected(request: pytest.FixtureRequest):
    # Given the items of this run: every one that uses the built warehouse is marked slow
    for item in request.session.items:
        if "built_warehouse" in getattr(item, "fixturenames", ()):
            assert item.get_closest_marker("slow") is not None, item.nodeid
