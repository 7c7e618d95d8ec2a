"""The scheduled dbt build: a real dbt run in-process, its docs and artifacts published to S3 (moto)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from dbt_runner.build import build_command, use_thread_locks_if_needed
from dbt_runner.handler import wants_data_tests
from dbt_runner.job import DbtBuildFailed, run_and_publish
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


def test_thread_locks_replace_missing_semaphores():
    # Given a multiprocessing context that cannot make semaphores, as in AWS Lambda (no /dev/shm)
    class NoSemaphores:
        def RLock(self):
            raise OSError(38, "Function not implemented")

    context = NoSemaphores()
    # When patched; Then its RLock hands out working thread locks
    assert use_thread_locks_if_needed(context) is True
    lock = context.RLock()
    with lock, lock:
        assert isinstance(lock, type(threading.RLock()))


def test_schedule_input_chooses_whether_data_tests_run():
    # Given the hourly input, the daily input, and no input
    # Then unit tests never run, data tests only when asked (default: yes)
    assert build_command(wants_data_tests({"data_tests": False})) == [
        "build", "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test",
    ]  # fmt: skip
    assert build_command(wants_data_tests({"data_tests": True})) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
    ]
    assert wants_data_tests({}) is True
    # And a malformed input is refused rather than guessed
    with pytest.raises(ValueError, match="data_tests must be true or false"):
        wants_data_tests({"data_tests": "no"})


@pytest.mark.slow
def test_build_publishes_docs_and_run_artifacts(s3, simulated_lake, tmp_path: Path, monkeypatch):
    # Given the real project on the local target over a simulated lake
    monkeypatch.setenv("LAKE_ROOT", str(simulated_lake.lake_root))
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    settings = Settings(docs_bucket=BUCKET, target="local", work_dir=tmp_path / "work")
    # When one scheduled run builds and publishes
    summary = run_and_publish(settings, s3, NOW)
    # Then the build and the docs passed, every node succeeded
    assert summary["success"] is True
    assert [s["command"] for s in summary["steps"]] == ["build", "docs generate"]
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
