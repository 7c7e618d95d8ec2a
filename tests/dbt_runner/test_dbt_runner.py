"""The scheduled dbt build: a real dbt run in-process, its docs and artifacts published to S3 (moto)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from dbt_runner.__main__ import dbt_flags, parse_args
from dbt_runner.build import build_command
from dbt_runner.job import (
    LOCK_KEY,
    DbtBuildFailed,
    RunInProgress,
    acquire_lock,
    release_lock,
    run_and_publish,
)
from dbt_runner.settings import PACKAGE_ROOT, Settings, SettingsError

BUCKET = "docs-site"
NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def object_json(s3, key: str) -> dict:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def keys(s3) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_settings_need_the_docs_bucket():
    # Given no DOCS_BUCKET; Then start-up fails saying what is missing
    with pytest.raises(SettingsError, match="DOCS_BUCKET"):
        Settings.from_env({})
    # And the packaged project and profiles sit beside the package, target athena by default
    settings = Settings.from_env({"DOCS_BUCKET": BUCKET})
    assert settings.target == "athena"
    assert (settings.project_dir / "dbt_project.yml").is_file()
    assert settings.profiles_path == PACKAGE_ROOT / "profiles.yml"


def test_settings_choose_data_tests_and_the_timeout_strictly():
    # Given the hourly task's environment, the daily one's, and a malformed value
    hourly = Settings.from_env(
        {"DOCS_BUCKET": BUCKET, "DBT_DATA_TESTS": "false", "DBT_RUN_TIMEOUT_HOURS": "2"}
    )
    daily = Settings.from_env({"DOCS_BUCKET": BUCKET, "DBT_DATA_TESTS": "true"})
    # Then each says whether data tests run, and the run's timeout
    assert (hourly.data_tests, hourly.run_timeout_hours) == (False, 2.0)
    assert (daily.data_tests, daily.run_timeout_hours) == (True, 6.0)
    # And a malformed value is refused rather than guessed
    with pytest.raises(SettingsError, match="DBT_DATA_TESTS must be true or false"):
        Settings.from_env({"DOCS_BUCKET": BUCKET, "DBT_DATA_TESTS": "no"})
    with pytest.raises(SettingsError, match="DBT_RUN_TIMEOUT_HOURS"):
        Settings.from_env({"DOCS_BUCKET": BUCKET, "DBT_RUN_TIMEOUT_HOURS": "48"})


def test_build_command_excludes_unit_tests_always_and_data_tests_when_asked():
    # Given the hourly and the daily modes
    # Then unit tests never run, data tests only in the daily (tested) build
    assert build_command(False) == [
        "build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test",
    ]  # fmt: skip
    assert build_command(True) == ["build", "--exclude-resource-type", "unit_test"]


def test_manual_run_arguments_become_dbt_flags():
    # Given a backfill's arguments (docs/runbook.md)
    args = parse_args(
        ["--full-refresh", "--select", "fct_sessions+", "agg_session_metrics", "--no-data-tests"]
    )
    # Then they reach dbt build after the exclusions, and data tests are switched off for this run
    assert args.data_tests is False
    assert build_command(args.data_tests, dbt_flags(args))[-4:] == [
        "--full-refresh", "--select", "fct_sessions+", "agg_session_metrics",
    ]  # fmt: skip
    # And no argument leaves the settings' choice alone
    assert parse_args([]).data_tests is None


def test_run_lock_lets_one_run_through_and_takes_over_a_stale_one(s3):
    # Given a run holding the lock
    acquire_lock(s3, BUCKET, "run-a", NOW, stale_after=timedelta(hours=6))
    # When a second run starts an hour later; Then it is told the first is in progress
    with pytest.raises(RunInProgress, match="run-a"):
        acquire_lock(s3, BUCKET, "run-b", NOW + timedelta(hours=1), stale_after=timedelta(hours=6))
    # When a run starts after the timeout (the holder died); Then it takes the lock over
    acquire_lock(s3, BUCKET, "run-c", NOW + timedelta(hours=7), stale_after=timedelta(hours=6))
    assert object_json(s3, LOCK_KEY)["run_id"] == "run-c"
    # And the dead run's late release leaves the new holder's lock alone, its own release frees it
    release_lock(s3, BUCKET, "run-a")
    assert LOCK_KEY in keys(s3)
    release_lock(s3, BUCKET, "run-c")
    assert LOCK_KEY not in keys(s3)


def test_a_run_that_finds_the_lock_taken_builds_nothing(s3, tmp_path: Path):
    # Given a run in progress
    acquire_lock(s3, BUCKET, "long-backfill", NOW, stale_after=timedelta(hours=6))
    calls: list[list[str]] = []

    def invoke(args: list[str]) -> tuple[bool, str | None]:
        calls.append(args)
        return True, None

    settings = Settings(docs_bucket=BUCKET, target="local", work_dir=tmp_path / "work")
    # When the hourly run starts; Then it skips without invoking dbt or publishing anything
    with pytest.raises(RunInProgress):
        run_and_publish(settings, s3, NOW + timedelta(minutes=30), invoke=invoke)
    assert calls == []
    assert keys(s3) == {LOCK_KEY}


@pytest.mark.slow
def test_build_publishes_docs_and_run_artifacts(s3, simulated_lake, tmp_path: Path, monkeypatch):
    # Given the real project on the local target over a simulated lake
    monkeypatch.setenv("LAKE_ROOT", str(simulated_lake.lake_root))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    settings = Settings(docs_bucket=BUCKET, target="local", work_dir=tmp_path / "work")
    # When one scheduled run builds and publishes
    summary = run_and_publish(settings, s3, NOW)
    # Then the build, the aggregates' compaction, the daily table maintenance and the docs passed,
    # every node succeeded
    assert summary["success"] is True
    assert [s["command"] for s in summary["steps"]] == [
        "build",
        "compact served aggregates",
        "maintain tables",
        "docs generate",
    ]
    assert summary["failures"] == []
    assert not set(summary["results"]) & {"error", "fail", "warn", "skipped", "runtime error"}
    assert summary["results"]["success"] >= 7  # the seven marts at least
    # And the docs site and this run's artifacts are in the bucket
    run = "runs/20261121T010000Z/"
    assert {"index.html", "catalog.json", "manifest.json", "runs/latest.json"} <= keys(s3)
    assert {f"{run}run_results.json", f"{run}manifest.json", f"{run}summary.json"} <= keys(s3)
    # And the published run results are the build's (not docs generate's), matching the summary
    results = object_json(s3, f"{run}run_results.json")["results"]
    assert len(results) == sum(summary["results"].values())
    assert any(r["unique_id"] == "model.request_analytics.fct_sessions" for r in results)
    assert object_json(s3, "runs/latest.json")["run_id"] == "20261121T010000Z"
    catalog = object_json(s3, "catalog.json")
    assert "model.request_analytics.agg_session_metrics" in catalog["nodes"]


def write_broken_project(root: Path) -> tuple[Path, Path]:
    project = root / "broken"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: broken\nversion: '1.0.0'\nconfig-version: 2\nprofile: broken\n"
        "flags:\n  send_anonymous_usage_stats: false\n"
    )
    (project / "models" / "good.sql").write_text("select 1 as id\n")
    (project / "models" / "bad.sql").write_text("select * from a_table_that_does_not_exist\n")
    profiles = root / "profiles.yml"
    profiles.write_text(
        f"broken:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n"
        f"      path: {root / 'broken.duckdb'}\n      threads: 1\n"
    )
    return project, profiles


@pytest.mark.slow
def test_failed_build_publishes_its_results_then_raises(s3, tmp_path: Path):
    # Given a project with one model that cannot build
    project, profiles = write_broken_project(tmp_path)
    settings = Settings(
        docs_bucket=BUCKET,
        target="local",
        project_dir=project,
        profiles_path=profiles,
        work_dir=tmp_path / "w",
    )
    # When the run builds it; Then it raises, naming the failed model
    with pytest.raises(DbtBuildFailed, match=r"model\.broken\.bad"):
        run_and_publish(settings, s3, NOW)
    # And it released the run lock, so the next run is not blocked
    assert LOCK_KEY not in keys(s3)
    # And the failure is readable in the bucket, while the last good docs site is left alone
    summary = object_json(s3, "runs/latest.json")
    assert summary["success"] is False
    assert summary["results"] == {"success": 1, "error": 1}
    assert "index.html" not in keys(s3)
    results = object_json(s3, "runs/20261121T010000Z/run_results.json")["results"]
    assert {r["unique_id"]: r["status"] for r in results} == {
        "model.broken.good": "success",
        "model.broken.bad": "error",
    }


@pytest.mark.parametrize(
    ("outcome", "code", "logged"),
    [
        (None, 0, None),
        (RunInProgress("run-a holds runs/lock.json"), 0, "dbt build skipped: another run holds the lock"),
        (DbtBuildFailed("dbt run x failed"), 1, "dbt build failed"),
        ("timeout", 1, "dbt build finished"),
    ],
)
def test_entry_point_exit_codes(monkeypatch, caplog, outcome, code: int, logged: str | None):
    # Given the task's settings and a run that passes, skips, fails or hits its timeout
    import dbt_runner.__main__ as entry

    monkeypatch.setenv("DOCS_BUCKET", BUCKET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    seen: dict = {}

    def run(settings, s3, now, data_tests=None, extra=(), glue=None):
        seen.update(data_tests=data_tests, extra=extra)
        if outcome == "timeout":
            raise entry.RunTimedOut
        if outcome is not None:
            raise outcome
        return {}

    monkeypatch.setattr(entry, "run_and_publish", run)
    caplog.set_level(logging.INFO)
    # When the entry point runs with a manual run's arguments
    assert entry.main(["--no-data-tests", "--full-refresh"]) == code
    # Then the arguments reached the run, and the outcome is logged as the metrics and alarms read it
    assert seen == {"data_tests": False, "extra": ("--full-refresh",)}
    if logged:
        assert logged in [record.getMessage() for record in caplog.records]
    if outcome == "timeout":
        (finished,) = [r for r in caplog.records if r.getMessage() == "dbt build finished"]
        assert finished.success is False


def test_entry_point_refuses_bad_settings(monkeypatch):
    # Given a malformed setting; Then the task exits 2 before touching anything
    import dbt_runner.__main__ as entry

    monkeypatch.setenv("DOCS_BUCKET", BUCKET)
    monkeypatch.setenv("DBT_DATA_TESTS", "sometimes")
    assert entry.main([]) == 2
