"""The cost model's arithmetic on a small measurement of known sizes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load(name: str):
    # A file import: cost/ is a folder of scripts, not a package.
    spec = importlib.util.spec_from_file_location(name, REPO / "cost" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


model = load("model")


def measurement() -> dict:
    """1,000 requests; each mart 100 KB with two 40 KB columns that the API routes read; one test."""
    columns = {
        "fct_requests": ("request_id", "session_id"),
        "fct_sessions": ("session_id", "client_id"),
        "agg_session_metrics[grain=day]": ("grain", "level"),
        "agg_product_metrics[grain=day]": ("grain", "level"),
    }
    marts = {
        mart: {"rows": 1000, "bytes": 100_000, "columns": dict.fromkeys(names, 40_000)}
        for mart, names in columns.items()
    }
    return {
        "source": "test",
        "events": 1000,
        "requests": 1000,
        "raw_gzip_bytes_per_event": 200.0,
        "ingest_events_per_second": 10_000.0,
        "parquet_mart_bytes_per_event": 400.0,
        "marts": marts,
        "project": {
            "models": 5,
            "table_models": 4,
            "raw_readers": ["stg"],
            "data_tests": [{"name": "unique", "tables": ["fct_requests"], "column": "request_id"}],
        },
    }


def test_athena_bills_at_least_ten_megabytes_per_query():
    # Given 100 queries scanning 1 MB each, and 100 scanning 1 GB each
    small = model.athena_cost(100 * 2**20, 100)
    large = model.athena_cost(100 * 2**30, 100)
    # Then the small ones are billed at the 10 MB minimum, the large ones as scanned ($5/TB)
    assert small == pytest.approx(100 * 10 * 2**20 / 2**40 * 5.0)
    assert large == pytest.approx(100 * 2**30 / 2**40 * 5.0)


def test_inputs_come_from_the_measurement_and_the_bench_overrides_them():
    # Given the measurement alone
    inputs = model.inputs_from(measurement(), None)
    # Then per-event sizes are the measured bytes over the measured requests
    assert inputs.raw_gzip_bytes_per_event == 200.0
    assert inputs.test_bytes_per_event == [40.0]
    # (each API route reads its listed columns that exist: 2 x 40 B per event, for 90 days)
    assert inputs.api_bytes_per_query_per_event_per_day == pytest.approx(90 * 80.0)
    # When bench results exist, their sizes win
    bench = {
        "cost_inputs": {
            "raw_gzip_bytes_per_event": 150.0,
            "parquet_mart_bytes_per_event": 300.0,
            "athena_bytes_per_query_90d_at_10m_events_per_day": {"a": 20 * 2**30, "b": 40 * 2**30},
        }
    }
    with_bench = model.inputs_from(measurement(), bench)
    assert with_bench.raw_gzip_bytes_per_event == 150.0
    assert with_bench.api_bytes_per_query_per_event_per_day == pytest.approx(30 * 2**30 / 10_000_000)


def test_bill_scales_with_traffic_and_the_naive_api_costs_more():
    inputs = model.inputs_from(measurement(), None)
    # Given the bill at 1M and 100M requests a day after a year
    small = model.monthly_bill(1_000_000, inputs, history_months=12)
    big = model.monthly_bill(100_000_000, inputs, history_months=12)
    naive = model.monthly_bill(100_000_000, inputs, history_months=12, naive=True)
    # Then storage is the measured bytes of a year of events at $0.023/GB-month
    year = 100_000_000 * model.DAYS_PER_MONTH * 12
    assert big["S3 storage"] == pytest.approx((200 + 400) * year / 2**30 * 0.023)
    # And the API runs no Athena query; Athena per call on the marts (before ADR 0008) would be
    # calls x bytes per call x $5/TB, and scanning the raw JSON (200 B/event over 90 days) more
    calls = model.API_QUERIES_PER_DAY * model.DAYS_PER_MONTH
    assert "Athena (API)" not in big
    athena = model.athena_api_bill(100_000_000, inputs, calls)
    assert athena == pytest.approx(calls * 90 * 80.0 * 100_000_000 / 2**40 * 5.0)
    assert naive["Athena (API)"] / athena == pytest.approx(200 / 80)
    # And the totals add up and grow with traffic
    assert big["total"] == pytest.approx(sum(v for k, v in big.items() if k != "total"))
    assert small["total"] < big["total"]


def test_each_api_route_is_billed_at_least_the_minimum_on_its_own():
    # Given bench figures of two routes at 10M events a day: one scans 1 MB, the other 1 GB
    bench = {"cost_inputs": {"athena_bytes_per_query_90d_at_10m_events_per_day": {"a": 2**20, "b": 2**30}}}
    inputs = model.inputs_from(measurement(), bench)

    # When the API's Athena bill (the design before ADR 0008) is worked out at that traffic
    calls = model.API_QUERIES_PER_DAY * model.DAYS_PER_MONTH
    bill = model.athena_api_bill(10_000_000, inputs, calls)

    # Then half the calls pay the 10 MB minimum and half their 1 GB, not all of them their mean
    per_route = calls / 2 * (10 * 2**20 + 2**30) / 2**40 * 5.0
    assert bill == pytest.approx(per_route)
    assert bill > model.athena_cost(calls * (2**20 + 2**30) / 2, calls)


def test_the_api_is_priced_from_the_measured_s3_requests_and_lambda_time():
    # Given the serve stage's figures: 2 S3 requests per warm call, 100 to read a new version,
    # 50 ms of Lambda per call
    serving = {"api_s3_requests_warm": 2, "api_s3_requests_new_version": 100, "api_seconds_per_call": 0.05}
    inputs = model.inputs_from(measurement(), {"cost_inputs": {"serving": serving}})
    # When the bill is worked out
    bill = model.monthly_bill(10_000_000, inputs, history_months=12)
    # Then the API's S3 requests are every call's, each container's new versions and pointer checks
    calls = model.API_QUERIES_PER_DAY * model.DAYS_PER_MONTH
    publishes = (model.DBT_RUNS_PER_DAY + model.DBT_TESTED_RUNS_PER_DAY) * model.DAYS_PER_MONTH
    checks = 86_400 / model.API_POINTER_REFRESH_SECONDS * model.DAYS_PER_MONTH * 2
    requests = calls * 2 + model.API_CONTAINERS * (publishes * 100 + checks)
    assert bill["S3 requests (API)"] == pytest.approx(requests / 1000 * 0.0004)
    # And its Lambda time is the measured 50 ms per call at 1 GB (beside the ingest's)
    no_api = model.monthly_bill(10_000_000, inputs, history_months=12, api_queries_per_day=0)
    assert bill["Lambda"] - no_api["Lambda"] == pytest.approx(
        model.lambda_cost(calls, 0.05, model.API_MEMORY_GB)
    )


def test_cli_prints_the_three_scales_from_a_saved_measurement(tmp_path: Path):
    # Given a saved measurement and no bench results
    saved = tmp_path / "m.json"
    saved.write_text(json.dumps(measurement()))
    # When the script runs
    script = str(REPO / "cost" / "model.py")
    args = [
        "--measurements",
        str(saved),
        "--bench",
        str(tmp_path / "x"),
        "--json",
        str(tmp_path / "out.json"),
    ]
    proc = subprocess.run([sys.executable, script, *args], capture_output=True, text=True)
    # Then it prints both designs at 1M, 10M and 100M requests a day, and writes the JSON
    assert proc.returncode == 0, proc.stderr
    assert "| **total** |" in proc.stdout
    assert all(f"{n}M req/day" in proc.stdout for n in (1, 10, 100))
    data = json.loads((tmp_path / "out.json").read_text())
    assert set(data["design"]) == {"1000000", "10000000", "100000000"}
    assert data["naive"]["100000000"]["total"] > data["design"]["100000000"]["total"]


def test_data_tests_in_every_run_cost_the_hourly_multiple():
    inputs = model.inputs_from(measurement(), None)
    # Given the default (data tests in the daily build) and data tests in every hourly build
    daily = model.monthly_bill(10_000_000, inputs, history_months=6)
    hourly = model.monthly_bill(10_000_000, inputs, history_months=6, tests_every_run=True)
    # Then the tests' Athena bill is 24 times larger, each test scanning its column over the last
    # data_test_days days (their partitions only, not all of history)
    tested = 10_000_000 * model.DATA_TEST_DAYS
    assert daily["Athena (dbt tests)"] == pytest.approx(model.DAYS_PER_MONTH * 40.0 * tested / 2**40 * 5.0)
    assert hourly["Athena (dbt tests)"] == pytest.approx(24 * daily["Athena (dbt tests)"])


def test_out_writes_the_published_report_with_when_and_how(tmp_path: Path):
    # Given a saved measurement and no bench results
    saved = tmp_path / "m.json"
    saved.write_text(json.dumps(measurement()))
    # When the model runs as `make cost` does, into a results folder
    out = tmp_path / "results"
    argv = ["--measurements", str(saved), "--bench", str(tmp_path / "x"), "--out", str(out)]
    assert model.main(argv) == 0
    # Then latest.md is the printed report under a header naming the command, and latest.json its figures
    report = (out / "latest.md").read_text()
    header = "# Monthly AWS bill (generated)\n\nGenerated by `make cost` (`python cost/model.py"
    assert report.startswith(header)
    assert "| **total** |" in report
    data = json.loads((out / "latest.json").read_text())
    assert data["command"].endswith(f"--out {out}")
    total = data["design"]["1000000"]["total"]
    assert f"| **total** | {total:,.2f} |" in report


def test_the_dbt_task_is_billed_as_fargate_with_its_one_minute_minimum():
    # Given one short run and one run of an hour of the dbt task's default size
    short = model.fargate_cost(1, 10, model.DBT_TASK_VCPU, model.DBT_TASK_MEMORY_GB)
    hour = model.fargate_cost(1, 3600, model.DBT_TASK_VCPU, model.DBT_TASK_MEMORY_GB)
    # Then a 10 s run pays a whole minute, and an hour is vCPU + memory + the public IP's hour
    assert short == pytest.approx(hour / 60)
    assert hour == pytest.approx(1 * 0.03238 + 4 * 0.00356 + 0.005)


def test_athena_for_dbt_is_priced_from_the_twin_measurement_when_the_bench_has_one():
    # Given the bench's twin figures: 20 GB per hourly run and 5 GB per daily test run at 10M
    # events a day, in 50 and 100 queries
    bench = {
        "cost_inputs": {
            "twin_dbt": {
                "run": {"scanned_bytes_at_10m_events_per_day": 20 * 2**30, "queries_reading_data": 50},
                "test": {"scanned_bytes_at_10m_events_per_day": 5 * 2**30, "queries_reading_data": 100},
            }
        }
    }
    inputs = model.inputs_from(measurement(), bench)
    estimated = model.monthly_bill(10_000_000, model.inputs_from(measurement(), None))
    # When the month is priced at 10M and 1M events a day
    bill = model.monthly_bill(10_000_000, inputs)
    small = model.monthly_bill(1_000_000, inputs)
    # Then the models are 25 runs a day (24 hourly and the tested one) of 20 GB each, the tests one
    # run of 5 GB a day, at $5 per TB, and both scale with the events
    runs = (model.DBT_RUNS_PER_DAY + model.DBT_TESTED_RUNS_PER_DAY) * model.DAYS_PER_MONTH
    assert bill["Athena (dbt models)"] == pytest.approx(runs * 20 / 1024 * 5.0)
    assert bill["Athena (dbt tests)"] == pytest.approx(model.DAYS_PER_MONTH * 5 / 1024 * 5.0)
    assert small["Athena (dbt models)"] == pytest.approx(runs * 2 / 1024 * 5.0)
    # And without it the estimate from sizes stands, and the report says which it is
    assert estimated["Athena (dbt models)"] != bill["Athena (dbt models)"]
    assert "measured on the twin" in model.dbt_source(inputs)
    assert "estimated from the sizes" in model.dbt_source(model.inputs_from(measurement(), None))
