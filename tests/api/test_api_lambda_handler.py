"""The Lambda handler (HTTP API v2 events into Powertools' resolver) through event fixtures."""

from __future__ import annotations

import copy
import importlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from api_oracle import Tenants

EVENTS = Path(__file__).resolve().parents[1] / "events" / "api"
REPO = Path(__file__).resolve().parents[2]


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


class Context:
    function_name = "analytics-api"
    aws_request_id = "test-request"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:analytics-api"


@pytest.fixture
def lambda_handler(monkeypatch: pytest.MonkeyPatch, built_warehouse):
    monkeypatch.setenv("API_BACKEND", "duckdb")
    monkeypatch.setenv("WAREHOUSE_PATH", str(built_warehouse.warehouse_path))
    monkeypatch.setenv("CURSOR_SECRET", "lambda-test-secret")
    sys.modules.pop("api_lambda.handler", None)
    module = importlib.import_module("api_lambda.handler")
    yield module.handler
    module.api.backend.close()
    sys.modules.pop("api_lambda.handler", None)


def invoke(handler, event: dict) -> tuple[int, dict, dict]:
    response = handler(event, Context())
    return response["statusCode"], response["headers"], json.loads(response["body"])


def test_jwt_claims_scope_the_answer(lambda_handler, oracle, tenants: Tenants):
    # Given an HTTP API event whose JWT claims name reseller north-shop of client acme
    event = load_event("http_api_v2_metrics_sessions_reseller.json")
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    scope = {"client_id": claims["analytics:client_id"], "reseller_id": claims["analytics:reseller_id"]}
    # When the handler runs it
    status, headers, body = invoke(lambda_handler, event)
    # Then the series is that reseller's, figures from raw events
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    assert body["scope"] == {"level": "reseller", **scope}
    q = event["queryStringParameters"]
    expected = oracle.series(scope, "day", date.fromisoformat(q["from"]), date.fromisoformat(q["to"]))
    assert [(p["period_start"], p["sessions"], p["requests"]) for p in body["series"]] == expected["points"]
    assert sum(p["sessions"] for p in body["series"]) > 0


def test_jwt_claims_cannot_reach_the_same_reseller_id_under_another_client(lambda_handler, oracle):
    # Given the reseller's event asking for another client that also has a reseller north-shop
    event = load_event("http_api_v2_metrics_sessions_reseller.json")
    others = {c for c, r, _ in oracle.tenants() if r == "north-shop"} - {"acme"}
    assert others, "the simulated data must hold north-shop under several clients"
    for client_id in sorted(others):
        attempt = copy.deepcopy(event)
        attempt["rawQueryString"] += f"&client_id={client_id}"
        attempt["queryStringParameters"]["client_id"] = client_id
        # When the handler runs it
        status, _, body = invoke(lambda_handler, attempt)
        # Then it is forbidden
        assert status == 403, body
        assert body["error"]["field"] == "client_id"


def _user_event(principal: dict, session_id: str) -> dict:
    text = (EVENTS / "http_api_v2_session_requests_user.json").read_text()
    for placeholder, value in (
        ("SESSION_ID", session_id),
        ("CLIENT_ID", principal["client_id"]),
        ("RESELLER_ID", principal["reseller_id"]),
        ("USER_ID", principal["user_id"]),
    ):
        text = text.replace(placeholder, value)
    return json.loads(text)


def test_a_user_reads_its_session_but_not_its_namesakes(lambda_handler, oracle, tenants: Tenants):
    user, twin = tenants.principals["user"], tenants.principals["user_twin"]
    own = oracle.sessions(tenants.scope("user"))[0]["session_id"]
    theirs = oracle.sessions(tenants.scope("user_twin"))[0]["session_id"]
    # When the user (claims) reads its own session and its namesake's (same user id, other reseller)
    status, _, body = invoke(lambda_handler, _user_event(user, own))
    denied_status, _, denied = invoke(lambda_handler, _user_event(user, theirs))
    # Then its own comes back with raw requests and products; the other is a plain 404
    assert status == 200, body
    assert body["requests"] == oracle.session_requests(own)
    assert denied_status == 404
    assert denied["error"]["code"] == "not_found"
    assert twin["user_id"] == user["user_id"]


def test_missing_or_invalid_claims(lambda_handler):
    # Given the health event (no authorizer) and a metrics event without / with broken claims
    health = load_event("http_api_v2_health_no_authorizer.json")
    unauthenticated = load_event("http_api_v2_metrics_sessions_reseller.json")
    del unauthenticated["requestContext"]["authorizer"]
    broken = load_event("http_api_v2_metrics_sessions_reseller.json")
    del broken["requestContext"]["authorizer"]["jwt"]["claims"]["analytics:client_id"]
    # Then health answers, no claims is 401, claims that name no valid principal are 403
    assert invoke(lambda_handler, health)[0] == 200
    status, _, body = invoke(lambda_handler, unauthenticated)
    assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, _, body = invoke(lambda_handler, broken)
    assert (status, body["error"]["code"]) == (403, "invalid_principal")


def test_the_lake_handler_imports_no_dataframe_library_web_framework_or_validation_and_runs_no_event_loop(
    tmp_path: Path,
):
    # Given the Lambda's settings (the marts published on S3, the role's credentials in the
    # environment), in a fresh interpreter, with no S3 reachable at all
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "API_MARTS_POINTER": "s3://request-analytics-lake-123456789012/marts/_serving/current.json",
        "API_S3_ENDPOINT": "http://127.0.0.1:9",
        "AWS_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "token",
        "CURSOR_SECRET": "x",
    }
    # Powertools' resolver is the API's router, not a web framework in this sense; pydantic would
    # be its validation (ADR 0007). The asyncio module itself is imported by Powertools' event
    # handler package (for its AppSync resolvers), so what is checked is that no event loop, nor
    # even the policy that makes one, was ever created, before or after answering a request.
    # DuckDB reads S3 itself (httpfs): no botocore client is ever made.
    heavy = {
        "pandas",
        "pyarrow",
        "numpy",
        "fastapi",
        "starlette",
        "pydantic",
        "mangum",
        "uvicorn",
    }
    health = load_event("http_api_v2_health_no_authorizer.json")
    metrics = load_event("http_api_v2_metrics_sessions_reseller.json")
    code = (
        "import json, sys, api_lambda.handler as h\n"
        "class Context:\n"
        "    function_name = 'api'; aws_request_id = 'r'; memory_limit_in_mb = 512\n"
        "    invoked_function_arn = 'arn:aws:lambda:eu-west-2:1:function:api'\n"
        "heavy = set(json.loads(sys.argv[1]))\n"
        "loaded = sorted({m.split('.')[0] for m, v in sys.modules.items() if v} & heavy)\n"
        "client = 'botocore.client' in sys.modules\n"
        "health = h.handler(json.loads(sys.argv[2]), Context())['statusCode']\n"
        "data = h.handler(json.loads(sys.argv[3]), Context())\n"
        "aio = sys.modules.get('asyncio')\n"
        "loop = aio is not None and (\n"
        "    aio.events._event_loop_policy is not None or aio.events._get_running_loop() is not None\n"
        ")\n"
        "retry = {k.lower(): v for k, v in data['headers'].items()}.get('retry-after')\n"
        "code = json.loads(data['body'])['error']['code']\n"
        "status = data['statusCode']\n"
        "print(json.dumps([h.api.backend.name, loaded, client, health, status, retry, code, loop]))\n"
    )
    # When the handler module is imported, answers the health check, then a metrics request
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(sorted(heavy)), json.dumps(health), json.dumps(metrics)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # Then it serves from the lake; no dataframe, web framework, validation or AWS SDK library was
    # loaded (the cold start pays for none of them); health needs no S3; the marts, unreachable,
    # give a 503 the client may retry; and no event loop was made
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [
        "lake",
        [],
        False,
        200,
        503,
        "30",
        "backend_unavailable",
        False,
    ]


def test_log_lines_carry_the_http_api_request_id_and_the_configured_service(built_warehouse):
    # Given the handler in a fresh process, with the service name Terraform sets
    env = {
        **os.environ,
        "API_BACKEND": "duckdb",
        "WAREHOUSE_PATH": str(built_warehouse.warehouse_path),
        "CURSOR_SECRET": "s",
        "POWERTOOLS_SERVICE_NAME": "api-under-test",
    }
    event = load_event("http_api_v2_health_no_authorizer.json")
    code = (
        "import json, sys\n"
        "from api_lambda.handler import handler\n"
        "class Context:\n"
        "    function_name = 'analytics-api'; aws_request_id = 'lambda-request-1'\n"
        "    memory_limit_in_mb = 512; invoked_function_arn = 'arn:aws:lambda:eu-west-2:1:function:api'\n"
        "handler(json.loads(sys.argv[1]), Context())\n"
    )
    # When it answers one request
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(event)], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    answered = [line for line in lines if line.get("message") == "answered"]
    # Then its log line names the request (API Gateway's id), the invocation and the service
    assert len(answered) == 1, out.stdout[-3000:]
    assert answered[0]["correlation_id"] == event["requestContext"]["requestId"]
    assert answered[0]["function_request_id"] == "lambda-request-1"
    assert answered[0]["service"] == "api-under-test"
    assert answered[0]["status"] == 200


def test_each_request_prints_one_latency_metric_under_its_route_template(
    built_warehouse, oracle, tenants: Tenants
):
    # Given the handler in a fresh process with a metrics namespace, a user's session-requests event
    # and an event for a path no route has
    env = {
        **os.environ,
        "API_BACKEND": "duckdb",
        "WAREHOUSE_PATH": str(built_warehouse.warehouse_path),
        "CURSOR_SECRET": "s",
        "POWERTOOLS_SERVICE_NAME": "api-under-test",
        "POWERTOOLS_METRICS_NAMESPACE": "ApiUnderTest",
    }
    session_id = oracle.sessions(tenants.scope("user"))[0]["session_id"]
    session = _user_event(tenants.principals["user"], session_id)
    missing = load_event("http_api_v2_health_no_authorizer.json")
    missing["rawPath"] = missing["requestContext"]["http"]["path"] = "/v1/no-such-route"
    code = (
        "import json, sys\n"
        "from api_lambda.handler import handler\n"
        "class Context:\n"
        "    function_name = 'api'; aws_request_id = 'r'; memory_limit_in_mb = 512\n"
        "    invoked_function_arn = 'arn:aws:lambda:eu-west-2:1:function:api'\n"
        "for event in json.loads(sys.argv[1]):\n"
        "    print(json.dumps({'status': handler(event, Context())['statusCode']}))\n"
    )
    # When it answers both
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps([session, missing])],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    records = [line for line in lines if "_aws" in line]
    statuses = [line["status"] for line in lines if set(line) == {"status"}]
    # Then each printed one EMF record: in the namespace, with the route's template (not the raw
    # path, which holds the session id) and the service as dimensions, and its latency
    assert statuses == [200, 404]
    assert [r["route"] for r in records] == ["/v1/sessions/{session_id}/requests", "(unmatched)"]
    for record in records:
        (definition,) = record["_aws"]["CloudWatchMetrics"]
        assert definition["Namespace"] == "ApiUnderTest"
        assert definition["Dimensions"] == [["route", "service"]]
        assert definition["Metrics"] == [{"Name": "Latency", "Unit": "Milliseconds"}]
        assert record["service"] == "api-under-test"
        assert record["Latency"][0] > 0
    assert session_id not in json.dumps(records)


def test_head_answers_like_get_without_a_body_and_other_methods_get_405(lambda_handler):
    # Given the health event as GET, HEAD and POST
    get = load_event("http_api_v2_health_no_authorizer.json")
    head, post = copy.deepcopy(get), copy.deepcopy(get)
    head["requestContext"]["http"]["method"] = "HEAD"
    post["requestContext"]["http"]["method"] = "POST"
    # When the handler answers each
    got, headed, posted = (lambda_handler(event, Context()) for event in (get, head, post))
    # Then HEAD is GET's status and headers with an empty body, and POST a 405 whose Allow names both
    assert (headed["statusCode"], headed["headers"], headed["body"]) == (200, got["headers"], "")
    assert json.loads(got["body"])["status"] == "ok"
    assert posted["statusCode"] == 405
    assert posted["headers"]["allow"] == "GET, HEAD"
    assert json.loads(posted["body"])["error"]["code"] == "method_not_allowed"
