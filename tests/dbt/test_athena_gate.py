"""Athena gate: the project runs for the `athena` target, and every statement it sends is Athena SQL.

A moto server on 127.0.0.1 stands in for AWS. Its Athena accepts queries without running them,
so the Glue database, the raw table Terraform declares and the tables dbt-athena reads or
replaces are created first (moto's Athena creates nothing). Then `dbt run --target athena`
runs every model's incremental path (the relations exist), including the hive partition
overwrite, and every SQL string moto received is checked: it must parse as Athena SQL and call
only functions Athena engine v3 has. DuckDB-only SQL therefore cannot reach Athena unnoticed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import hcl2
import pytest
import sqlglot
import yaml
from athena_sql_check import ATHENA_V3_FUNCTIONS, athena_problems, called_functions
from dbt_helpers import DBT, PROJECT_ARGS, REPO
from sqlglot import exp

from tests.conftest import free_port
from twin.raw_table import raw_table
from twin.terraform_names import terraform_names

REGION = "eu-west-1"
RAW_DB, MARTS_DB = "lake_raw", "analytics"
BUCKETS = {"lake": "test-lake", "results": "test-athena-results", "warehouse": "test-warehouse"}
# The raw table as Terraform declares it: the one declaration Terraform, this gate and the twin read.
RAW_TABLE = raw_table()
RAW_COLUMNS = [(column.name, column.hive_type) for column in RAW_TABLE.columns]
# The dbt workgroup's settings, read from the `module "dbt_workgroup"` call in terraform/main.tf.
DBT_WORKGROUP = terraform_names().dbt_workgroup
BUCKETS["results"] = DBT_WORKGROUP["output_location"].removeprefix("s3://").split("/", 1)[0]


def workgroup_configuration(module_call: dict) -> dict:
    """The Athena API's Configuration of the workgroup module (modules/athena_workgroup/main.tf)."""
    module = parse_athena_workgroup_module()
    return {
        "ResultConfiguration": {
            "OutputLocation": module_call["output_location"],
            "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": "arn:aws:kms:::key/test"},
        },
        "EnforceWorkGroupConfiguration": module_call.get(
            "enforce_workgroup_configuration", module["enforce_workgroup_configuration"]
        ),
        "PublishCloudWatchMetricsEnabled": True,
        "BytesScannedCutoffPerQuery": int(module_call["bytes_scanned_cutoff_per_query"]),
        "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
    }


def parse_athena_workgroup_module() -> dict:
    """The workgroup module's variable defaults (what a call that omits an input gets)."""
    options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
    with (REPO / "terraform" / "modules" / "athena_workgroup" / "variables.tf").open() as handle:
        variables = {}
        for block in hcl2.load(handle, serialization_options=options).get("variable", []):
            variables.update(block)
    return {name: body.get("default") for name, body in variables.items()}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("moto_server did not start")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def model_columns() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Each model's relation type and documented columns (every column is documented in yml)."""
    models: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for yml in (REPO / "dbt_project" / "models").rglob("_*__models.yml"):
        for model in yaml.safe_load(yml.read_text()).get("models", []):
            sql = next((REPO / "dbt_project" / "models").rglob(f"{model['name']}.sql")).read_text()
            kind = "EXTERNAL_TABLE" if "incremental_settings" in sql else "VIRTUAL_VIEW"
            columns = [(column["name"], column.get("data_type", "string")) for column in model["columns"]]
            models[model["name"]] = (kind, columns)
    return models


def glue_table(name: str, kind: str, columns: list[tuple[str, str]], location: str) -> dict:
    table = {
        "Name": name,
        "TableType": kind,
        "StorageDescriptor": {
            "Columns": [{"Name": column, "Type": data_type} for column, data_type in columns],
            "Location": location,
        },
    }
    if kind == "EXTERNAL_TABLE":
        # Every model's table is Iceberg; Athena marks one so in Glue.
        metadata = f"{location}metadata/00000.metadata.json"
        table["Parameters"] = {"table_type": "ICEBERG", "metadata_location": metadata}
    return table


@pytest.fixture(scope="module")
def athena_env(moto_endpoint: str) -> dict[str, str]:
    env = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "DBT_ATHENA_REGION": REGION,
        "DBT_ATHENA_S3_STAGING_DIR": DBT_WORKGROUP["output_location"],
        "DBT_ATHENA_S3_DATA_DIR": f"s3://{BUCKETS['warehouse']}/dbt/",
        "DBT_ATHENA_SCHEMA": MARTS_DB,
        "DBT_ATHENA_RAW_SCHEMA": RAW_DB,
        "DBT_ATHENA_WORKGROUP": DBT_WORKGROUP["name"],
        "DBT_ATHENA_POLL_INTERVAL": "0.05",
        "DBT_ATHENA_NUM_RETRIES": "0",
    }
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    s3 = session.client("s3", endpoint_url=moto_endpoint)
    glue = session.client("glue", endpoint_url=moto_endpoint)
    for bucket in BUCKETS.values():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    # The dbt workgroup exactly as terraform/main.tf declares it (dbt-athena reads its settings)
    session.client("athena", endpoint_url=moto_endpoint).create_work_group(
        Name=DBT_WORKGROUP["name"],
        Description=DBT_WORKGROUP["description"],
        Configuration=workgroup_configuration(DBT_WORKGROUP),
    )
    glue.create_database(DatabaseInput={"Name": RAW_DB})
    glue.create_database(DatabaseInput={"Name": MARTS_DB})
    raw = glue_table(
        "request_events", "EXTERNAL_TABLE", RAW_COLUMNS, f"s3://{BUCKETS['lake']}/raw/request_events/"
    )
    raw["PartitionKeys"] = [{"Name": key.name, "Type": key.hive_type} for key in RAW_TABLE.partition_keys]
    raw["StorageDescriptor"]["SerdeInfo"] = {
        "SerializationLibrary": RAW_TABLE.serde_library,
        "Parameters": RAW_TABLE.serde_parameters,
    }
    raw["Parameters"] = {
        "projection.enabled": "true",
        "projection.ingest_date.type": "date",
        "projection.ingest_date.format": "yyyy-MM-dd",
        "projection.ingest_date.range": "2020-01-01,NOW",
    }
    glue.create_table(DatabaseName=RAW_DB, TableInput=raw)
    # Not dbt_staged_watermarks nor dbt_landing_marks: the on-run-start hooks must create them
    # (a CTAS each) themselves.
    for name, (kind, columns) in model_columns().items():
        location = f"s3://{BUCKETS['warehouse']}/dbt/{MARTS_DB}/{name}/"
        glue.create_table(DatabaseName=MARTS_DB, TableInput=glue_table(name, kind, columns, location))
    return env


def sent_statements(endpoint: str) -> list[str]:
    athena = boto3.client(
        "athena", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="t", aws_secret_access_key="t"
    )
    ids: list[str] = []
    for page in athena.get_paginator("list_query_executions").paginate():
        ids.extend(page["QueryExecutionIds"])
    return [athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Query"] for qid in ids]


@pytest.fixture(scope="module")
def athena_run(athena_env: dict[str, str], moto_endpoint: str, tmp_path_factory) -> list[str]:
    target = tmp_path_factory.mktemp("athena_target")
    cmd = [str(DBT), "run", *PROJECT_ARGS, "--target", "athena", "--target-path", str(target)]
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **athena_env}, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"dbt run --target athena failed\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return sent_statements(moto_endpoint)


@pytest.fixture(scope="module")
def athena_first_build_target(athena_env: dict[str, str], tmp_path_factory) -> Path:
    """The SQL of every model and data test as a first (full-refresh) build sends it to Athena.

    `dbt run` above takes the incremental path because the tables exist; the full-refresh SELECTs
    (the body of the first CTAS) are compiled here, for the same target.
    """
    target = tmp_path_factory.mktemp("athena_compile")
    cmd = [
        str(DBT),
        "compile",
        *PROJECT_ARGS,
        "--target",
        "athena",
        "--full-refresh",
        "--exclude",
        "test_type:unit",
        "--target-path",
        str(target),
    ]
    proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **athena_env}, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"dbt compile --target athena failed\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return target


@pytest.fixture(scope="module")
def athena_first_build_sql(athena_first_build_target: Path) -> dict[str, str]:
    target = athena_first_build_target
    compiled = target / "compiled" / "request_analytics"
    return {str(path.relative_to(compiled)): path.read_text() for path in compiled.rglob("*.sql")}


@pytest.mark.slow
def test_first_build_sql_of_models_and_data_tests_is_athena_v3_sql(athena_first_build_sql: dict[str, str]):
    # Given: the compiled full-refresh SQL of every model and the data tests (no unit tests:
    # their fixtures only ever run on DuckDB)
    assert any(name.endswith("agg_session_metrics.sql") for name in athena_first_build_sql)
    assert len(athena_first_build_sql) > 50
    # When/Then: every one of them passes the same check as the statements sent
    compiled = athena_first_build_sql.items()
    problems = {name: found for name, sql in compiled if (found := athena_problems(sql))}
    assert problems == {}


@pytest.mark.slow
def test_every_model_sends_its_sql_to_athena(athena_run: list[str]):
    # Given/When: dbt ran the project against moto's Athena
    # Then: each model sent its CTAS of the new rows and ONE merge of them into its table on its
    # keys (one Iceberg commit: readers never see the table half-written)
    text = "\n".join(athena_run)
    for name, (kind, _) in model_columns().items():
        if kind == "EXTERNAL_TABLE":
            assert f'"{MARTS_DB}"."{name}__dbt_tmp"' in text, name
            merge = f'merge into "awsdatacatalog"."{MARTS_DB}"."{name}" as target'
            merges = [sql for sql in athena_run if merge in sql]
            assert len(merges) == 1, name
            assert f'insert into "awsdatacatalog"."{MARTS_DB}"."{name}"' not in text, name
            assert f'delete from "awsdatacatalog"."{MARTS_DB}"."{name}"' not in text, name
        else:
            assert f'create or replace view\n    "awsdatacatalog"."{MARTS_DB}"."{name}"' in text, name
    # And: the watermark table was created (it did not exist) and each model below staging recorded
    # its progress
    assert f'create table "awsdatacatalog"."{MARTS_DB}"."dbt_staged_watermarks"' in text
    # (staging keeps no watermark: it reads back from its own newest landing, so it records none)
    tables = [name for name, (kind, _) in model_columns().items() if kind == "EXTERNAL_TABLE"]
    recorded = text.count(f'insert into "awsdatacatalog"."{MARTS_DB}"."dbt_staged_watermarks"')
    assert recorded == len(tables) - 1
    # And: staging records its landing marks in a table of their own, created the same way
    assert f'create table "awsdatacatalog"."{MARTS_DB}"."dbt_landing_marks"' in text
    assert text.count(f'insert into "awsdatacatalog"."{MARTS_DB}"."dbt_landing_marks"') == 1
    # And: the models read the raw Glue table of DBT_ATHENA_RAW_SCHEMA
    assert f'"awsdatacatalog"."{RAW_DB}"."request_events"' in text


@pytest.mark.slow
def test_every_statement_sent_is_athena_v3_sql(athena_run: list[str]):
    # Given: every SQL string dbt-athena sent during the run
    assert len(athena_run) > 30
    # When: each is parsed as Athena SQL and its function calls are collected
    problems = {sql[:300]: found for sql in athena_run if (found := athena_problems(sql))}
    # Then: none has a problem, and the engine-specific helpers used their Athena spelling
    assert problems == {}
    used = set().union(*(called_functions(sql) for sql in athena_run))
    assert {"from_iso8601_timestamp", "cardinality", "date_format", "to_unixtime", "date_trunc"} <= used
    assert used <= ATHENA_V3_FUNCTIONS


# The Athena layout of each table the API reads (README, dbt section): the aggregates by grain,
# level and period bucket (a year, month or day of periods, ADR 0010), so a client-level series
# reads only the client rows of its one or two buckets.
# fct_requests and fct_request_products are views over the staged requests (event_date).
ATHENA_PARTITIONS = {
    "fct_sessions": ["started_on"],
    "fct_session_days": ["event_date"],
    "fct_product_session_days": ["event_date"],
    "fct_session_day_continuations": ["event_date"],
    "fct_product_session_day_continuations": ["event_date"],
    "agg_session_metrics": ["grain", "level", "period_bucket"],
    "agg_product_metrics": ["grain", "level", "period_bucket"],
}


@dataclass(frozen=True)
class MergedRun:
    keys: list[str]
    columns: list[str]
    on: str
    partition_lookup: str


def merged_run(statements: list[str], table: str) -> MergedRun:
    """The columns a mart's incremental MERGE joins on, the columns its new rows select, its
    whole `on` condition, and the lookup of the new rows' partitions it pins the target to.

    dbt-athena writes the new rows to a `__dbt_tmp` table, then merges them into the Iceberg
    table on the model's keys (`on (target.<key> = src.<key> and ...)`).
    """
    tmp = f'"awsdatacatalog"."{MARTS_DB}"."{table}__dbt_tmp"'
    merge = next(sql for sql in statements if f"using {tmp} as src" in sql)
    on = merge[merge.index(" on (") : merge.index(" when ")]
    keys = re.findall(r"target\.([a-z_]+) = src\.\1", on)
    ctas = next(sql for sql in statements if f"create table {tmp}" in sql)
    ctes = sqlglot.parse_one(ctas, read="athena").find_all(exp.CTE)
    final = next(cte for cte in ctes if cte.alias == "final")
    lookup = next(sql for sql in statements if "select distinct" in sql and sql.rstrip().endswith(tmp))
    return MergedRun(keys, final.this.named_selects, on, lookup)


@pytest.mark.slow
@pytest.mark.parametrize(("table", "partitions"), sorted(ATHENA_PARTITIONS.items()))
def test_marts_merge_on_their_keys_and_partition_columns_last(
    athena_run: list[str], table: str, partitions: list[str]
):
    # Given/When: the statements each mart's incremental run sent to Athena
    run = merged_run(athena_run, table)
    # Then: its MERGE joins on the partition columns too
    assert run.keys[-len(partitions) :] == partitions
    # And: it pins the target's partition columns to the new rows' values, looked up on their
    # temporary table: Athena's engine plans no dynamic filter for a MERGE, so without
    # literals it would read the target's keys over the whole history on every run (moto's
    # Athena answers the lookup with no rows: the pin is then `false`)
    for column in partitions:
        assert f'cast("{column}" as varchar), typeof("{column}")' in run.partition_lookup
        assert re.search(rf'\(target\."{column}" in \(|\(false\)', run.on), (column, run.on)
    # And: the partition columns close the select in that order (Athena's Hive tables reject
    # a partitioned CTAS otherwise; the new rows' temporary table is one)
    assert run.columns[-len(partitions) :] == partitions


@pytest.mark.parametrize(
    ("duckdb_sql", "reason"),
    [
        ("select strftime(occurred_at, '%Y-%m-%dT%H') as k from t", "strftime"),
        ("select epoch(ended_at) - epoch(started_at) as s from t", "epoch"),
        ("select len(products) as n from t", "len"),
        ("select list_sum(quantities) as q from t", "list_sum"),
        ("select occurred_at::date as d from t", "'::'"),
        ("select cast(cast(s as timestamptz) at time zone 'UTC' as timestamp) as ts from t", "timestamptz"),
        ("select * from read_json('lake/*.json.gz', format='newline_delimited')", "read_json"),
    ],
)
def test_duckdb_only_sql_is_rejected(duckdb_sql: str, reason: str):
    # Given: a statement only DuckDB accepts
    # When: it goes through the same check as the statements sent to Athena
    problems = athena_problems(duckdb_sql)
    # Then: it is rejected, naming what Athena lacks
    assert problems, duckdb_sql
    assert any(reason in problem for problem in problems), problems


def test_athena_spellings_of_the_same_helpers_pass():
    # Given: the Athena renderings of the dispatched helpers (macros/cross_db)
    sql = (
        "select cast(from_iso8601_timestamp(occurred_at) at time zone 'UTC' as timestamp) as ts,"
        " date_format(ts, '%Y-%m-%dT%H:%i:%s') as k, cardinality(products) as n,"
        " round(to_unixtime(b) - to_unixtime(a), 3) as s"
        " from t cross join unnest(t.products) with ordinality as line (product_id, name, line_number)"
    )
    # When/Then: the check accepts them
    assert athena_problems(sql) == []


def final_columns(sql: str) -> list[str]:
    """The columns a model's statement selects, in order, following `select * from <cte>`."""
    select = sqlglot.parse_one(sql, read="athena")
    # The statement's own CTEs only: a macro's subquery may define a `final` of its own.
    ctes = (
        {cte.alias: cte.this for cte in select.args["with_"].expressions} if select.args.get("with_") else {}
    )
    while select.is_star and (source := select.args["from_"].this.name) in ctes:
        select = ctes[source]
    return select.named_selects


@pytest.mark.slow
def test_every_partitioned_model_in_the_manifest_stores_its_partition_columns_last(
    athena_first_build_target: Path,
):
    # Given every model the manifest partitions on Athena and its first-build SQL
    manifest = json.loads((athena_first_build_target / "manifest.json").read_text())
    compiled = athena_first_build_target / "compiled" / "request_analytics"
    partitioned = {
        node["name"]: (node["config"]["partitioned_by"], compiled / node["original_file_path"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("partitioned_by")
    }
    assert "stg_lake__request_events" in partitioned
    # Then the partition columns close each model's select, in the partitioning order
    # (Athena and Trino reject a partitioned CTAS otherwise; moto does not check)
    misplaced = {
        name: columns[-len(keys) :]
        for name, (keys, path) in partitioned.items()
        if (columns := final_columns(path.read_text()))[-len(keys) :] != keys
    }
    assert misplaced == {}


def positional_star_unions(sql: str) -> list[str]:
    """The unions in `sql` with a side that selects `*` (or `t.*`): they pair columns by position."""
    found = []
    for union in sqlglot.parse_one(sql, read="athena").find_all(exp.Union):
        for side in (union.left, union.right):
            selects = [side] if isinstance(side, exp.Select) else []
            if any(
                isinstance(p, exp.Star) or (isinstance(p, exp.Column) and p.is_star)
                for s in selects
                for p in s.expressions
            ):
                found.append(union.sql(dialect="athena")[:200])
    return found


@pytest.mark.slow
def test_no_statement_unions_select_star_by_position(
    athena_run: list[str], athena_first_build_sql: dict[str, str]
):
    # Given every statement of the incremental run and every model's first-build SQL
    statements = [*athena_run, *athena_first_build_sql.values()]
    # Then no union pairs the columns of a `select *` by position with another relation's
    # (a table stores its partition column last, so `select *` of it and of new rows differ)
    unions = {sql[:120]: found for sql in statements if (found := positional_star_unions(sql))}
    assert unions == {}


def test_the_positional_union_gate_catches_a_star_union():
    # Given staging's incremental union as it was: the stored table's * with the new rows' *
    sql = "with a as (select * from t union all select *, false as x from d) select * from a"
    # Then the gate names it, and the same union with named columns passes
    assert positional_star_unions(sql)
    assert positional_star_unions("select c1, c2 from t union all select c1, c2 from d") == []


@pytest.mark.slow
def test_every_table_lands_in_the_data_dir_under_the_workgroup_terraform_declares(
    athena_run: list[str], athena_env: dict[str, str], moto_endpoint: str
):
    # Given the dbt workgroup as dbt-athena saw it (created from terraform/main.tf's settings)
    athena = boto3.client(
        "athena",
        region_name=REGION,
        endpoint_url=moto_endpoint,
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    workgroup = athena.get_work_group(WorkGroup=athena_env["DBT_ATHENA_WORKGROUP"])["WorkGroup"]
    enforced = workgroup["Configuration"]["EnforceWorkGroupConfiguration"]
    # When every CTAS of the run is looked at (the watermark table's included)
    ctas = [sql for sql in athena_run if re.search(r"^\s*create table", sql, re.IGNORECASE | re.MULTILINE)]
    assert any("dbt_staged_watermarks" in sql for sql in ctas)
    assert any("dbt_landing_marks" in sql for sql in ctas)
    locations = {sql[:160]: re.search(r"(?:external_)?location\s*=\s*'([^']+)'", sql) for sql in ctas}
    # Then none would land under the results prefix (which expires): each names its location,
    # under DBT_ATHENA_S3_DATA_DIR
    data_dir = athena_env["DBT_ATHENA_S3_DATA_DIR"]
    misplaced = {
        sql: m and m.group(1)
        for sql, m in locations.items()
        if m is None or not m.group(1).startswith(data_dir)
    }
    assert misplaced == {}
    # And Athena accepts them: a workgroup that enforces its configuration rejects a CTAS
    # naming an external_location
    assert not enforced


@pytest.mark.slow
def test_data_tests_on_athena_read_recent_partitions_only(athena_first_build_sql: dict[str, str]):
    # Given the data tests as compiled for Athena (unit tests excluded)
    tests = {path.rsplit("/", 1)[-1]: sql for path, sql in athena_first_build_sql.items() if ".yml/" in path}
    # Then a test of a partitioned mart reads its partitions from data_test_days (7) ago only
    assert re.search(r"started_on >= date '\d{4}-\d{2}-\d{2}'", tests["unique_fct_sessions_session_id.sql"])
    aggregate = next(sql for name, sql in tests.items() if name.startswith("levels_add_up_agg_session_metr"))
    assert re.search(r"period_date >= date '\d{4}-\d{2}-\d{2}'", aggregate)
    # And a test of the view over staging reads the recent event dates, and the raw table's
    # test its recent landing partitions
    assert "event_date >= date '" in tests["unique_fct_requests_request_id.sql"]
    assert re.search(
        r"ingest_date >= '\d{4}-\d{2}-\d{2}'", tests["source_not_null_lake_request_events_request_id.sql"]
    )
    # And the row-level reconciliation scopes both of its sides, the raw JSON by partition
    reconciliation = next(
        sql for name, sql in tests.items() if name.startswith("requests_match_source_fct_requ")
    )
    assert re.search(r"ingest_date >= '\d{4}-\d{2}-\d{2}'", reconciliation)
    assert "event_date >= date '" in reconciliation
    # And so does the aggregate's, on the grains whose periods lie within one date
    per_grain = next(sql for name, sql in tests.items() if name.startswith("requests_match_source_agg_sess"))
    assert re.search(r"ingest_date >= '\d{4}-\d{2}-\d{2}'", per_grain)
    assert "period_date >= date '" in per_grain
    assert "grain in ('hour', 'day')" in per_grain


def test_athena_names_table_folders_uniquely_so_a_full_refresh_keeps_its_data():
    # Given the Athena target of profiles.yml and the models' table type
    athena = yaml.safe_load((REPO / "profiles.yml").read_text())["request_analytics"]["outputs"]["athena"]
    settings = (REPO / "dbt_project" / "macros" / "incremental" / "settings.sql").read_text()
    assert "'table_type': 'iceberg'" in settings
    # Then the folders are named uniquely: with plain schema_table, dbt-athena's full refresh of
    # an Iceberg table builds the new table in the live one's folder, then drops the renamed old
    # table with that same folder (dbt-labs/dbt-adapters#1196); moto runs no SQL to show it
    assert "unique" in athena["s3_data_naming"]
