"""The serving pointer: what a successful build publishes for the API, and what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from dbt_runner.job import DbtBuildFailed, run_and_publish
from dbt_runner.settings import Settings
from serving import pointer

LAKE = "lake-bucket"
DOCS = "docs-bucket"
DATABASE = "request_analytics_marts"
NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def location(table: str, version: int = 3) -> str:
    return f"s3://{LAKE}/marts/{DATABASE}/{table}/metadata/{version:05d}-abc.metadata.json"


@pytest.fixture
def aws():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        glue = boto3.client("glue", region_name="us-east-1")
        s3.create_bucket(Bucket=LAKE)
        s3.create_bucket(Bucket=DOCS)
        glue.create_database(DatabaseInput={"Name": DATABASE})
        for table in pointer.SERVED_TABLES:
            glue.create_table(
                DatabaseName=DATABASE,
                TableInput={
                    "Name": table,
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"table_type": "ICEBERG", "metadata_location": location(table)},
                },
            )
        yield s3, glue


def read_pointer(s3) -> dict:
    return json.loads(s3.get_object(Bucket=LAKE, Key="marts/_serving/current.json")["Body"].read())


def test_glue_locations_are_published_as_one_object(aws):
    s3, glue = aws
    # Given the served tables in Glue, each with its current metadata file
    tables = pointer.glue_locations(glue, DATABASE)
    # When they are published under the marts prefix
    published = pointer.publish(s3, LAKE, "marts/", tables, NOW, "run-1")
    # Then one object names every table's metadata file, and reads back the same
    body = read_pointer(s3)
    assert body["tables"] == {table: location(table) for table in pointer.SERVED_TABLES}
    assert body["run_id"] == "run-1"
    assert pointer.Pointer.from_json(json.dumps(body)).version == published.version


def test_a_table_that_is_not_iceberg_is_refused(aws):
    _, glue = aws
    # Given a served table that Glue holds as a Hive table
    glue.update_table(
        DatabaseName=DATABASE,
        TableInput={"Name": "fct_sessions", "TableType": "EXTERNAL_TABLE", "Parameters": {}},
    )
    # Then its location cannot be published
    with pytest.raises(pointer.PointerError, match="fct_sessions is not an Iceberg table"):
        pointer.glue_locations(glue, DATABASE)


@pytest.mark.parametrize(
    ("tables", "error"),
    [
        ({t: location(t) for t in pointer.SERVED_TABLES[1:]}, "lacks agg_session_metrics"),
        (
            {
                **{t: location(t) for t in pointer.SERVED_TABLES},
                "fct_sessions": "s3://b/x') UNION SELECT 1 --",
            },
            "not an s3://",
        ),
        ({**{t: location(t) for t in pointer.SERVED_TABLES}, "fct_sessions": "/etc/passwd"}, "not an s3://"),
    ],
)
def test_a_malformed_pointer_is_refused(tables, error):
    # Given a pointer missing a table, or naming something other than an S3 metadata file
    text = json.dumps({"format": 1, "committed_at": "x", "run_id": "x", "tables": tables})
    # Then it is not served (its locations go into SQL as literals)
    with pytest.raises(pointer.PointerError, match=error):
        pointer.Pointer.from_json(text)


def runner_settings(tmp_path: Path) -> Settings:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    profiles = tmp_path / "profiles.yml"
    profiles.write_text("")
    return Settings(
        docs_bucket=DOCS,
        target="athena",
        project_dir=project,
        profiles_path=profiles,
        work_dir=tmp_path / "work",
        marts_data_dir=f"s3://{LAKE}/marts/",
        marts_database=DATABASE,
    )


def fake_dbt(status: str):
    """A dbt invocation that writes the run results of a build whose one model ended in `status`."""

    def invoke(args: list[str]) -> tuple[bool, str | None]:
        target = Path(args[args.index("--project-dir") + 1]) / "target"
        target.mkdir(parents=True, exist_ok=True)
        results = [{"unique_id": "model.request_analytics.fct_sessions", "status": status}]
        (target / "run_results.json").write_text(json.dumps({"results": results}))
        return status == "success", None

    return invoke


def test_a_successful_run_publishes_the_versions_glue_holds(aws, tmp_path: Path):
    s3, glue = aws
    # Given Glue's tables at version 3 and a dbt run that succeeds
    summary = run_and_publish(runner_settings(tmp_path), s3, NOW, invoke=fake_dbt("success"), glue=glue)
    # Then the pointer names version 3 of every served table, committed at the run's time
    body = read_pointer(s3)
    assert body["tables"]["fct_sessions"] == location("fct_sessions", 3)
    assert body["committed_at"] == summary["served"] == NOW.isoformat()


def test_a_failed_run_publishes_nothing(aws, tmp_path: Path):
    s3, glue = aws
    # Given a published version 3, then Glue moved to version 4 by a run that then failed
    settings = runner_settings(tmp_path)
    run_and_publish(settings, s3, NOW, invoke=fake_dbt("success"), glue=glue)
    glue.update_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": "fct_sessions",
            "Parameters": {"table_type": "ICEBERG", "metadata_location": location("fct_sessions", 4)},
        },
    )
    with pytest.raises(DbtBuildFailed):
        run_and_publish(settings, s3, NOW, invoke=fake_dbt("error"), glue=glue)
    # Then the API still reads version 3: the half-done run is never served
    assert read_pointer(s3)["tables"]["fct_sessions"] == location("fct_sessions", 3)


def test_a_run_whose_marts_cannot_be_published_fails_and_publishes_nothing(aws, tmp_path: Path):
    s3, glue = aws
    # Given a successful dbt run, but a served mart that Glue holds as a Hive table
    glue.update_table(
        DatabaseName=DATABASE,
        TableInput={"Name": "fct_requests", "TableType": "EXTERNAL_TABLE", "Parameters": {}},
    )
    # When the run publishes; Then it fails (the alarms count it), naming the table
    with pytest.raises(DbtBuildFailed, match="not published for the API: fct_requests"):
        run_and_publish(runner_settings(tmp_path), s3, NOW, invoke=fake_dbt("success"), glue=glue)
    # And no pointer was written, and the run's summary says it failed
    assert "Contents" not in s3.list_objects_v2(Bucket=LAKE, Prefix="marts/_serving/")
    summary = json.loads(s3.get_object(Bucket=DOCS, Key="runs/latest.json")["Body"].read())
    assert summary["success"] is False
