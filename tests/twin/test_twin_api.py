"""The API as the Lambda runs it, over the marts a twin build published on the twin's S3.

One twin build of the API suite's simulated lake (the session's `simulated_lake`, so the API
suite's oracle applies unchanged) is published by `python -m twin build`; the Lambda handler
(`api_lambda.handler`, built from the environment as in AWS) then reads it over HTTP through
DuckDB's httpfs and Iceberg reader. On it:
- every route and isolation test of tests/api runs again, through the handler, with JWT claims;
- schemathesis fuzzes every operation (no 5xx, answers as documented);
- a version published while the API serves is served within the refresh interval, and the
  catalog's newer versions are not served before they are published;
- a failed build publishes nothing;
- a new container's typical call reads the aggregate's metadata and one compacted bucket file,
  whatever its range (ADR 0010), and the API bounds the buckets dbt stored the rows in.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from twin_helpers import Twin

from api_lambda.buckets import period_bucket
from bench.targets import SERVE_MAX_S3_REQUESTS
from serving import pointer
from twin.lake import connect, execute, publish_twin_marts
from twin.servers import ACCESS_KEY, REGION, SECRET_KEY, s3_client
from twin.settings import REPO
from twin.terraform_names import terraform_names

# The API suite's oracle and tests, run here against the lake.
sys.path.insert(0, str(REPO / "tests" / "api"))
import test_api_fuzz
import test_api_isolation
import test_api_routes
from api_oracle import Oracle, Tenants, load_events, pick_tenants

REFRESH_SECONDS = 1.0
# What the API suite asserts of the local warehouse only (its backend's name).
NOT_ON_THE_LAKE = {"test_health_and_openapi_need_no_token"}


@dataclass(frozen=True)
class Served:
    twin: Twin
    oracle: Oracle
    tenants: Tenants
    pointer_key: str
    bucket: str


@pytest.fixture(scope="module")
def served(twin: Twin, simulated_lake, tmp_path_factory: pytest.TempPathFactory) -> Served:
    # One build (models only: the dbt suites test the data) publishes the marts for the API.
    twin.build(
        simulated_lake.lake_root,
        tmp_path_factory.mktemp("twin_api") / "target",
        "--exclude-resource-type",
        "test",
        "--exclude-resource-type",
        "unit_test",
    )
    bucket, prefix = pointer.split_s3_url(terraform_names().marts_data_dir)
    oracle = Oracle(load_events(simulated_lake.lake_root))
    return Served(twin, oracle, pick_tenants(oracle), pointer.pointer_key(prefix), bucket)


def lambda_environment(served: Served) -> dict[str, str]:
    """What the Lambda runtime and Terraform would set, with the twin's S3 as the endpoint."""
    return {
        "API_MARTS_POINTER": f"s3://{served.bucket}/{served.pointer_key}",
        "API_S3_ENDPOINT": served.twin.settings.s3_endpoint,
        "API_POINTER_REFRESH_SECONDS": str(REFRESH_SECONDS),
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "CURSOR_SECRET": "twin-api-secret",
    }


@pytest.fixture(scope="module")
def handler(served: Served) -> Iterator[Callable[[dict], dict]]:
    """`api_lambda.handler.handler`, imported with the Lambda's environment over the twin's S3."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in lambda_environment(served).items():
            patch.setenv(name, value)
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        sys.modules.pop("api_lambda.handler", None)
        module = importlib.import_module("api_lambda.handler")
    yield lambda event: module.handler(event, LambdaContext())
    sys.modules.pop("api_lambda.handler", None)


class LambdaContext:
    function_name = "analytics-api"
    aws_request_id = "twin-test"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:analytics-api"


@dataclass
class Answer:
    """What the API suite's tests read of a response (its `get` fixture gives a TestClient's)."""

    status_code: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def http_api_event(path: str, params: dict[str, Any], principal: dict[str, str] | None) -> dict:
    """An API Gateway HTTP API (payload v2) event, with the JWT authorizer's claims of `principal`."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    headers = {"accept": "application/json", "host": "api.example.com"}
    context: dict[str, Any] = {
        "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
        "requestId": "twin-request",
        "routeKey": "$default",
        "stage": "$default",
    }
    if principal is not None:
        headers["authorization"] = "Bearer verified-by-api-gateway"
        claims = {"sub": "twin-test", **{f"analytics:{key}": value for key, value in principal.items()}}
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "queryStringParameters": dict(params) or None,
        "requestContext": context,
        "isBase64Encoded": False,
    }


@pytest.fixture(scope="module")
def get(handler, served: Served) -> Callable[..., Answer]:
    """The API suite's `get(token_name, url, **params)`, through the Lambda handler."""

    def _get(who: str | None, url: str, **params: object) -> Answer:
        principal = served.tenants.principals[who] if who else None
        response = handler(http_api_event(url, params, principal))
        return Answer(response["statusCode"], response.get("headers") or {}, response["body"])

    return _get


def _cases() -> list[Any]:
    """Every test of the API suite's route and isolation modules that needs only `get`, the
    oracle and the tenants, once per combination of its parameters."""
    cases = []
    for module in (test_api_routes, test_api_isolation):
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_") or name in NOT_ON_THE_LAKE:
                continue
            wanted = set(inspect.signature(function).parameters)
            marks = [m for m in getattr(function, "pytestmark", []) if m.name == "parametrize"]
            names = [n for m in marks for n in _names(m.args[0])]
            if wanted - {"get", "oracle", "tenants", *names}:
                continue  # it needs the local app itself (e.g. its 401s for unknown tokens)
            values = [[v if len(_names(m.args[0])) > 1 else (v,) for v in m.args[1]] for m in marks]
            for combination in itertools.product(*values):
                kwargs = dict(zip(names, [x for part in combination for x in part], strict=True))
                label = "-".join(str(v) for v in kwargs.values())
                cases.append(pytest.param(function, kwargs, id=f"{module.__name__}::{name}[{label}]"))
    return cases


def _names(spec: str | tuple | list) -> list[str]:
    return [n.strip() for n in spec.split(",")] if isinstance(spec, str) else list(spec)


@pytest.mark.parametrize(("test", "params"), _cases())
def test_the_api_suite_passes_on_the_published_marts_through_the_lambda_handler(
    test, params, get, served: Served
):
    # Given the marts a twin build published, read by the Lambda handler from S3 over HTTP
    arguments = {"get": get, "oracle": served.oracle, "tenants": served.tenants, **params}
    wanted = inspect.signature(test).parameters
    # When the API suite's test runs against it; Then it passes as on the local warehouse
    test(**{name: arguments[name] for name in wanted})


@pytest.fixture(scope="module")
def api(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The same API over the same published marts, as an ASGI app for schemathesis."""
    from starlette.testclient import TestClient

    from api_lambda.asgi import create_app
    from api_lambda.auth import TokensFileAuthenticator
    from api_lambda.backends import make_backend
    from api_lambda.settings import Settings

    tokens = tmp_path_factory.mktemp("twin_api_tokens") / "tokens.json"
    tokens.write_text(json.dumps({"t-global": {"level": "global"}}))
    settings = Settings.from_env({**lambda_environment(served), "CURSOR_SECRET": "fuzz"})
    backend = make_backend(settings)
    with TestClient(create_app(settings, backend, TokensFileAuthenticator(tokens))) as client:
        yield client


# The API suite's generated cases (schemathesis, from the OpenAPI document), on the lake.
test_no_generated_request_breaks_the_api_on_the_lake = test_api_fuzz.test_no_generated_request_breaks_the_api


def _series(get, served: Served) -> list[int]:
    tenants = served.tenants
    body = get(
        "global", "/v1/metrics/sessions", **{"from": str(tenants.first_day), "to": str(tenants.last_day)}
    )
    assert body.status_code == 200, body.text
    return [point["sessions"] for point in body.json()["series"]]


def test_a_version_is_served_once_published_and_not_before(get, served: Served):
    twin, tenants = served.twin, served.tenants
    s3 = s3_client(twin.settings)
    published = s3.get_object(Bucket=served.bucket, Key=served.pointer_key)["Body"].read()
    before = _series(get, served)
    # Given the catalog's agg_session_metrics changed after the publish (a MERGE's position
    # deletes: the global figures of the first day are gone), as a running build would change it
    schema = terraform_names().marts_database
    execute(
        connect(twin.settings),
        f"delete from iceberg.{schema}.agg_session_metrics where grain = 'day' and level = 'global'"
        f" and period_date = date '{tenants.first_day}'",
    )
    # When the API is asked again, past its refresh interval; Then it still serves the published version
    time.sleep(REFRESH_SECONDS * 1.5)
    assert _series(get, served) == before
    try:
        # When that version is published; Then it is served within the refresh interval, its
        # deletes applied (the first day now counts no session)
        publish_twin_marts(twin.settings)
        time.sleep(REFRESH_SECONDS * 1.5)
        after = _series(get, served)
        assert after[0] == 0 < before[0]
        assert after[1:] == before[1:]
    finally:
        # The earlier version is still whole (metadata files are immutable): publish it again
        s3.put_object(Bucket=served.bucket, Key=served.pointer_key, Body=published)
        time.sleep(REFRESH_SECONDS * 1.5)
    assert _series(get, served) == before


def test_a_failed_build_publishes_nothing(get, served: Served, simulated_lake, tmp_path: Path):
    twin = served.twin
    s3 = s3_client(twin.settings)
    published = s3.get_object(Bucket=served.bucket, Key=served.pointer_key)["Body"].read()
    before = _series(get, served)
    # Given a build that fails in its models (a watermark it cannot cast): as a build that dies midway
    env = {**os.environ, **twin.env, "LAKE_ROOT": str(simulated_lake.lake_root)}
    args = [
        *("--target-path", str(tmp_path / "target"), "--exclude-resource-type", "test"),
        *("--exclude-resource-type", "unit_test", "--vars", "{staged_watermark: 'not-a-time'}"),
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "twin", "build", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0, proc.stdout[-2000:]
    # Then the pointer is the one before, and the API answers from it as before
    assert s3.get_object(Bucket=served.bucket, Key=served.pointer_key)["Body"].read() == published
    assert "published" not in proc.stdout
    time.sleep(REFRESH_SECONDS * 1.5)
    assert _series(get, served) == before


def test_each_call_records_the_s3_requests_it_made(served: Served, capsys: pytest.CaptureFixture):
    from api_lambda.app import Api
    from api_lambda.auth import JwtClaimsAuthenticator
    from api_lambda.backends import make_backend
    from api_lambda.metrics import RouteMetrics
    from api_lambda.settings import Settings

    # Given a new container's API (nothing cached) with its per-route metrics, as the handler builds it
    settings = Settings.from_env(lambda_environment(served))
    backend = make_backend(settings, count_s3_reads=True)
    resolver = Api(settings, backend, JwtClaimsAuthenticator(), metrics=RouteMetrics("t", "api")).resolver()
    tenants = served.tenants
    event = http_api_event(
        "/v1/metrics/sessions",
        {"from": str(tenants.first_day), "to": str(tenants.last_day)},
        tenants.principals["client"],
    )
    capsys.readouterr()
    # When the same call is answered twice
    answers = [resolver.resolve(event, LambdaContext())["statusCode"] for _ in range(2)]
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    # Then each call's metric record carries its S3 requests: the first read the version's files,
    # the second found them all cached (their names never change)
    assert answers == [200, 200]
    # (EMF writes each metric's values as a list)
    (first,), (second,) = (record["S3Requests"] for record in records)
    assert first >= 4
    assert second == 0
    assert records[0]["S3BytesRead"][0] > 0


def _new_container_reads(served: Served, days: int) -> tuple[int, int, list[int]]:
    """A new container's typical call (a daily series for one client over `days` days up to the
    last day): its S3 requests, those for data files, and the series' sessions."""
    from api_lambda.app import Api
    from api_lambda.auth import JwtClaimsAuthenticator
    from api_lambda.backends import make_backend
    from api_lambda.metrics import RouteMetrics
    from api_lambda.settings import Settings

    settings = Settings.from_env(lambda_environment(served))
    backend = make_backend(settings, count_s3_reads=True)
    resolver = Api(settings, backend, JwtClaimsAuthenticator(), metrics=RouteMetrics("t", "api")).resolver()
    last_day = served.tenants.last_day
    event = http_api_event(
        "/v1/metrics/sessions",
        {"grain": "day", "from": str(last_day - timedelta(days=days - 1)), "to": str(last_day)},
        served.tenants.principals["client"],
    )
    response = resolver.resolve(event, LambdaContext())
    assert response["statusCode"] == 200, response["body"]
    sessions = [point["sessions"] for point in json.loads(response["body"])["series"]]
    return backend.s3_totals[0], backend.s3_data_file_requests, sessions


def test_a_new_containers_typical_call_reads_a_few_objects_whatever_its_range(
    served: Served, capsys: pytest.CaptureFixture
):
    # Given the published marts: the aggregates' day rows of a client lie in one year bucket,
    # compacted before the publish (the simulated days all lie in one year)
    assert served.tenants.first_day.year == served.tenants.last_day.year
    # When a new container answers the typical call over 7 days, and another over 30 days (every
    # simulated day: 7 daily partitions against 10 in the layout by day)
    week_requests, week_data_files, week = _new_container_reads(served, 7)
    month_requests, month_data_files, month = _new_container_reads(served, 30)
    capsys.readouterr()  # the metric records
    # Then both read the table's metadata and the bucket's one data file: the requests do not grow
    # with the range, and stay within issue 14's budget for a call in a new container
    assert week_data_files == month_data_files == 1
    assert week_requests == month_requests <= SERVE_MAX_S3_REQUESTS
    # And the 30 days hold what the 7 days held, with the earlier days before them
    assert month[-7:] == week
    assert sum(month) > sum(week)


def test_the_api_and_dbt_put_every_aggregate_row_in_the_same_bucket(served: Served):
    # Given every stored (grain, level, period_start) of both aggregates with its period_bucket
    schema = terraform_names().marts_database
    connection = connect(served.twin.settings)
    for table in ("agg_session_metrics", "agg_product_metrics"):
        rows = execute(
            connection,
            f"select distinct grain, level, period_start, period_bucket from iceberg.{schema}.{table}",
        )
        # When the API's rule places each period; Then it names the bucket dbt stored it in, the
        # bucket the API's queries bound
        assert rows
        misplaced = [row for row in rows if period_bucket(row[0], row[1], row[2].date()) != row[3]]
        assert misplaced == [], table
