"""The ratio/target check: met, missed and not-measured figures, as the run prints them."""

from __future__ import annotations

from bench.targets import ATHENA_MIN_BILLED_BYTES, compare, dig, evaluate, shortfalls


def results(**overrides):
    stages = {
        "ingest": {"events_per_second": 150_000, "share_of_gzip": 0.5},
        "dbt": {"full_build": {"ratio_to_scan": 2.5}, "incremental": {"marginal_ratio_to_new_day_scan": 1.2}},
        "api": {
            "floor": {"p99_ms": 2.0},
            "routes": {
                "GET /v1/metrics/sessions": {"p50_ms": 9.0, "p99_ms": 30.0, "requests": 200, "errors": 0},
                "GET /v1/sessions": {"p50_ms": 12.0, "p99_ms": 51.0, "requests": 200, "errors": 0},
            },
        },
        "lambda_init": {"modules": {"api_lambda.handler": {"median_ms": 420.0}}, "api_heavy_modules": []},
        "athena": {"routes": {"GET /v1/metrics/sessions": {"bytes_90d_at_10m_events_per_day": 4_000_000}}},
        "twin": {"hourly_increment_bytes": {"at_10m_events_per_day": {"ratio": 2.4}}},
        "serve": {
            "typical_call": {
                "warm": {"s3_requests": 1, "bytes": 0},
                "at_10m_events_per_day": {"cold_s3_requests": 8, "cold_bytes": 400_000},
            },
            "cold_start": {"total_ms": 900.0},
            "load": {"errors": 0, "p95_ms": 80.0},
            "routes": {"GET /v1/sessions": {"p95_ms": 40.0, "errors": 0}},
        },
    }
    for path, value in overrides.items():
        node = stages
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return stages


def by_target(checks):
    return {c.target: c for c in checks}


def test_every_target_met_gives_no_shortfall():
    # Given figures that meet every target
    checks = evaluate(results())
    # Then nothing falls short and each check carries its figure
    assert shortfalls(checks) == []
    found = by_target(checks)
    assert found["ingest events per second (one core)"].figure == 150_000
    assert found["API GET /v1/sessions p99 over the floor"].figure == 49.0


HOURLY = (
    "Athena bytes of one hourly incremental run at 10M events/day / (new raw data + mart "
    "partitions it rewrites), on the twin"
)


def test_the_retired_duckdb_ratios_are_no_longer_checked():
    # Given a DuckDB full build 9x its scan and an increment 30x the new day's scan
    checks = evaluate(
        results(dbt__full_build__ratio_to_scan=9.0, dbt__incremental__marginal_ratio_to_new_day_scan=30.0)
    )
    # Then no target falls short: those ratios are information now (issue 13)
    assert shortfalls(checks) == []
    assert not [c for c in checks if c.target.startswith("dbt ")]


def test_the_hourly_increment_bytes_ratio_is_the_live_target():
    # Given an hourly run at 10M events/day scanning 3.2x what it writes, then exactly 3x
    over = by_target(evaluate(results(twin__hourly_increment_bytes__at_10m_events_per_day__ratio=3.2)))
    at = by_target(evaluate(results(twin__hourly_increment_bytes__at_10m_events_per_day__ratio=3.0)))
    # Then 3.2x falls short and 3x (inclusive) is met
    assert not over[HOURLY].met
    assert f"[NOT MET] {HOURLY}: 3.2 x (target <= 3 x)" == over[HOURLY].line()
    assert at[HOURLY].met


def test_api_p99_is_judged_against_the_floor_and_errors_count():
    # Given a route 60 ms over the floor's p99 and one with non-200 answers
    stages = results()
    stages["api"]["routes"]["GET /v1/sessions"]["p99_ms"] = 62.0
    stages["api"]["routes"]["GET /v1/metrics/sessions"]["errors"] = 3
    missed = {c.target for c in shortfalls(evaluate(stages))}
    # Then the slow route and the erroring route both fall short
    assert "API GET /v1/sessions p99 over the floor" in missed
    assert "API GET /v1/metrics/sessions answers 200" in missed


def test_a_stage_that_did_not_run_is_not_measured_and_falls_short():
    # Given no twin, API or Athena figures (stages failed or were skipped)
    stages = results()
    for name in ("twin", "api", "athena"):
        del stages[name]
    checks = by_target(evaluate(stages))
    # Then their targets are not measured, and not measured is not met
    dbt_check = checks[HOURLY]
    assert dbt_check.figure is None
    assert not dbt_check.met
    assert "not measured" in dbt_check.line()
    assert not checks["API p99 over the floor"].met


def test_heavy_modules_and_athena_bytes():
    # Given the API handler pulling in pyarrow and a typical query over the billing minimum
    stages = results(
        lambda_init__api_heavy_modules=["pyarrow"],
        athena__routes={
            "GET /v1/metrics/sessions": {"bytes_90d_at_10m_events_per_day": ATHENA_MIN_BILLED_BYTES + 1}
        },
    )
    missed = {c.target.split(" (")[0] for c in shortfalls(evaluate(stages))}
    # Then both are reported
    assert "pandas/pyarrow modules loaded by the API handler: 1" not in missed
    assert "pandas/pyarrow modules loaded by the API handler" in missed
    assert "Athena bytes of a typical query" in missed


def test_compare_and_dig():
    assert compare(1.0, "<", 1.5)
    assert not compare(1.5, "<", 1.5)
    assert compare(3.0, "<=", 3.0)
    assert not compare(None, ">=", 0)
    assert dig({"a": {"b": 2}}, "a", "b") == 2
    assert dig({"a": {"b": 2}}, "a", "c") is None
    assert dig({"a": 1}, "a", "b") is None


def test_the_published_table_replaces_only_its_block(tmp_path):
    # Given a Performance page with prose around the results block
    from bench.report import markdown_table
    from bench.run import update_readme

    page = tmp_path / "README.md"
    page.write_text("intro\n<!-- bench:results -->\nold table\n<!-- /bench:results -->\nmethod\n")
    table = markdown_table(results())
    # When a run publishes its table
    assert update_readme(table + "\n", page)
    text = page.read_text()
    # Then the old table is gone, the prose stays, and there is one row per API route
    assert "old table" not in text
    assert text.startswith("intro\n")
    assert text.endswith("method\n")
    assert text.count("| API GET /v1/") == 2
    assert "| ingest (parse + validate + land, one core) | 150,000 events/s" in text


def test_serving_targets_judge_the_new_container_and_every_route():
    # Given a new container's typical call at 10M events/day needing 9 requests, a route whose warm
    # p95 is 151 ms, and one error under load
    stages = results(
        serve__typical_call__at_10m_events_per_day__cold_s3_requests=9,
        serve__routes={"GET /v1/sessions": {"p95_ms": 151.0, "errors": 0}},
        serve__load={"errors": 1, "p95_ms": 90.0},
    )
    missed = {c.target for c in shortfalls(evaluate(stages))}
    # Then each falls short on its own, while the warm call (1 request) and the cold start pass
    typical = "typical call (90-day daily series, one client)"
    assert missed == {
        f"serving: S3 requests of a {typical} at 10M events/day, new container or new version",
        "serving: warm p95 of GET /v1/sessions through the handler",
        "serving: 50 simulated users at once, errors",
    }


def test_the_serve_stage_is_run_by_the_twin_stage():
    # Given the stage names a user may pass to --stages
    from bench.run import STAGES, parse_args, wanted_stages

    # When serve is asked for, alone or beside twin
    alone = wanted_stages(parse_args(["--stages", "serve"]).stages)
    both = wanted_stages("twin,serve,api")

    # Then the twin stage runs once (it measures the serving figures on its own twin and builds)
    assert alone == {"twin"}
    assert both == {"twin", "api"}
    assert "serve" not in STAGES
