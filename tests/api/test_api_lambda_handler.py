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
from conftest import Tenants

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


def test_the_athena_handler_imports_no_data_library_web_framework_or_validation_and_runs_no_event_loop():
    # Given the Lambda's settings for Athena, in a fresh interpreter
    env = {
        **os.environ,
        "API_BACKEND": "athena",
        "ATHENA_WORKGROUP": "analytics-api",
        "ATHENA_DATABASE": "analytics_marts",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "CURSOR_SECRET": "x",
    }
    # Powertools' resolver is the API's router, not a web framework in this sense; pydantic would
    # be its validation (ADR 0007). The asyncio module itself is imported by Powertools' event
    # handler package (for its AppSync resolvers), so what is checked is that no event loop, nor
    # even the policy that makes one, was ever created, before or after answering a request.
    heavy = {"duckdb", "pandas", "pyarrow", "numpy", "fastapi", "starlette", "pydantic", "mangum", "uvicorn"}
    event = load_event("http_api_v2_health_no_authorizer.json")
    code = (
        "import json, sys, api_lambda.handler as h\n"
        "class Context:\n"
        "    function_name = 'api'; aws_request_id = 'r'; memory_limit_in_mb = 512\n"
        "    invoked_function_arn = 'arn:aws:lambda:eu-west-2:1:function:api'\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[1])))\n"
        "status = h.handler(json.loads(sys.argv[2]), Context())['statusCode']\n"
        "aio = sys.modules.get('asyncio')\n"
        "loop = aio is not None and (\n"
        "    aio.events._event_loop_policy is not None or aio.events._get_running_loop() is not None\n"
        ")\n"
        "print(json.dumps([h.api.backend.name, loaded, 'botocore.client' in sys.modules, status, loop]))\n"
    )
    # When the handler module is imported and answers the health check
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(sorted(heavy)), json.dumps(event)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # Then it serves from Athena; no data library, web framework or validation library was loaded
    # (the cold start pays for none of them); botocore's client machinery waits for the first
    # query; and no event loop was made
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["athena", [], False, 200, False]


def test_the_athena_client_is_built_on_the_first_query_and_only_once():
    import threading

    from api_lambda.backends.athena import LazyClient

    # Given a lazy client over a factory that counts the clients it builds
    built: list[object] = []

    class Client:
        def get_query_execution(self, **_: object) -> str:
            return "ok"

    def factory() -> Client:
        built.append(Client())
        return built[-1]

    client = LazyClient(factory)
    # When nothing has asked for it yet, then nothing was built
    assert built == []
    # When eight threads call it at once
    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(client.get_query_execution(QueryExecutionId="q")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one client was built and every call reached it
    assert len(built) == 1
    assert answers == ["ok"] * 8


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
