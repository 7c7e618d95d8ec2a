"""The Athena backend against moto: parameters travel as ExecutionParameters, results parse, and
timeouts, throttling and failures become 503 (or a bare 500) with the JSON error body."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from botocore.stub import Stubber
from moto import mock_aws
from moto.moto_api import state_manager
from starlette.testclient import TestClient

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends.athena import AthenaBackend, inline_limits
from api_lambda.settings import Settings

REGION = "eu-west-2"
WORKGROUP = "analytics-api"
DATABASE = "analytics_marts"
PRINCIPAL = {"level": "reseller", "client_id": "acme", "reseller_id": "north-shop"}
HEADERS = {"Authorization": "Bearer t-reseller"}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def tokens(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"t-reseller": PRINCIPAL}))
    return path


def make_app(client, tokens: Path, timeout: float = 5.0, sleep=lambda _: None) -> TestClient:
    settings = Settings.from_env(
        {
            "API_BACKEND": "athena",
            "ATHENA_WORKGROUP": WORKGROUP,
            "ATHENA_DATABASE": DATABASE,
            "CURSOR_SECRET": "s",
        }
    )
    backend = AthenaBackend(
        client, WORKGROUP, DATABASE, result_reuse_minutes=30, timeout_seconds=timeout, sleep=sleep
    )
    return TestClient(create_app(settings, backend, TokensFileAuthenticator(tokens)))


@pytest.fixture
def athena(aws_env) -> Iterator[object]:
    with mock_aws():
        client = boto3.client("athena", region_name=REGION)
        client.create_work_group(
            Name=WORKGROUP,
            Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/api/"}},
        )
        yield client


def queue_result(columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """Script the next query's result, header row first, the way Athena returns a SELECT."""
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    body = {
        "region": REGION,
        "results": [
            {
                "rows": [header, *data],
                "column_info": [
                    {"Name": name, "Label": name, "Type": kind, "Nullable": "UNKNOWN"}
                    for name, kind in columns
                ],
            }
        ],
    }
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/athena/query-results", json=body, timeout=5
    )
    assert response.status_code == 201


def sent_queries(client) -> list[dict]:
    ids = client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    executions = [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    return sorted(executions, key=lambda e: e["Status"]["SubmissionDateTime"])


def capture_requests(client) -> list[dict]:
    """Everything the backend hands botocore for StartQueryExecution, as sent on the wire."""
    seen: list[dict] = []
    client.meta.events.register(
        "provide-client-params.athena.StartQueryExecution", lambda params, **_: seen.append(dict(params))
    )
    return seen


def test_series_parameters_travel_as_execution_parameters_and_results_parse(athena, tokens):
    # Given Athena's scripted answer for one week of a user
    queue_result(
        [("period_start", "timestamp"), ("sessions", "bigint"), ("requests", "bigint")],
        [["2026-11-16 00:00:00.000", "3", "7"], ["2026-11-30 00:00:00.000", "1", "1"]],
    )
    sent = capture_requests(athena)
    api = make_app(athena, tokens)
    # When a reseller asks for one of its users' weekly series
    response = api.get(
        "/v1/metrics/sessions",
        params={"grain": "week", "from": "2026-11-17", "to": "2026-12-01", "user_id": "u-42"},
        headers=HEADERS,
    )
    # Then the dense series holds the parsed figures, zeros elsewhere
    assert response.status_code == 200, response.text
    assert [(p["period_start"], p["sessions"], p["requests"]) for p in response.json()["series"]] == [
        ("2026-11-16T00:00:00Z", 3, 7),
        ("2026-11-23T00:00:00Z", 0, 0),
        ("2026-11-30T00:00:00Z", 1, 1),
    ]
    # And the query Athena got carries every value as a parameter, none in its text
    (execution,) = sent_queries(athena)
    assert execution["ExecutionParameters"] == [
        "'week'",
        "'user'",
        "'acme'",
        "'north-shop'",
        "'u-42'",
        "'2026-11-16 00:00:00.000000'",
        "'2026-12-07 00:00:00.000000'",
        "'2026-11-16'",
        "'2026-12-06'",
    ]
    for value in ("acme", "north-shop", "u-42", "2026", "week", "'user'"):
        assert value not in execution["Query"]
    # And it bounds the aggregate's partition column, so Athena reads only the range's partitions
    assert "period_date >= CAST(? AS DATE) AND period_date <= CAST(? AS DATE)" in execution["Query"]
    assert f'"{DATABASE}".agg_session_metrics' in execution["Query"]
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["QueryExecutionContext"]["Database"] == DATABASE
    # And it asked for result reuse with the configured max age
    assert sent[0]["ResultReuseConfiguration"] == {
        "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 30}
    }


SESSION_COLUMNS = [
    ("session_id", "varchar"),
    ("client_id", "varchar"),
    ("reseller_id", "varchar"),
    ("user_id", "varchar"),
    ("started_at", "timestamp"),
    ("ended_at", "timestamp"),
    ("requests", "bigint"),
]


def test_sessions_pages_read_windows_of_partitions_and_the_cursor_is_a_parameter(athena, tokens):
    # Given Athena's answers to each try of two pages of limit=1 (the backend asks for one row
    # more than the page size): the first page's one-day window holds two sessions; on the
    # second page neither the one-day nor the eight-day window before the cursor holds two, so
    # the last try is unbounded
    s3 = ["s-3", "acme", "north-shop", "u-1", "2026-11-20 10:00:00.250", "2026-11-20 10:05:00.000", "4"]
    s2 = ["s-2", "acme", "north-shop", "u-2", "2026-11-20 08:00:00.000", "2026-11-20 08:01:00.000", "2"]
    for rows in ([s3, s2], [s2], [s2], [s2]):
        queue_result(SESSION_COLUMNS, rows)
    api = make_app(athena, tokens)
    dates = {"from": "2026-11-01", "to": "2026-11-20"}

    # When the reseller pages through with limit=1
    first = api.get("/v1/sessions", params={"limit": 1, **dates}, headers=HEADERS).json()
    second = api.get(
        "/v1/sessions", params={"limit": 1, **dates, "cursor": first["next_cursor"]}, headers=HEADERS
    ).json()

    # Then the rows parse and the second page ends the list
    assert first["sessions"] == [
        {
            "session_id": "s-3",
            "client_id": "acme",
            "reseller_id": "north-shop",
            "user_id": "u-1",
            "started_at": "2026-11-20T10:00:00.250000Z",
            "ended_at": "2026-11-20T10:05:00.000000Z",
            "requests": 4,
        }
    ]
    assert [s["session_id"] for s in second["sessions"]] == ["s-2"]
    assert second["next_cursor"] is None
    # And each try bounds the started_on partitions it reads: the first page's window is the
    # day of `to`; the second page's windows end at the cursor's day and start one and eight
    # days before the cursor; the last try is bounded by `to` and the cursor only
    sent = sent_queries(athena)
    assert len(sent) == 4
    scope_and_range = ["'acme'", "'north-shop'", "'2026-11-01 00:00:00.000000'"]
    to_bound = ["'2026-11-21 00:00:00.000000'", "'2026-11-20'"]
    cursor = ["'2026-11-20 10:00:00.250000'", "'2026-11-20 10:00:00.250000'", "'s-3'", "'2026-11-20'"]
    assert sent[0]["ExecutionParameters"] == [
        *scope_and_range,
        *to_bound,
        "'2026-11-20 00:00:00.000000'",
        "'2026-11-20'",
    ]
    assert sent[1]["ExecutionParameters"] == [
        *scope_and_range,
        *to_bound,
        *cursor,
        "'2026-11-19 10:00:00.250000'",
        "'2026-11-19'",
    ]
    assert sent[2]["ExecutionParameters"][-2:] == ["'2026-11-12 10:00:00.250000'", "'2026-11-12'"]
    assert sent[3]["ExecutionParameters"] == [*scope_and_range, *to_bound, *cursor]
    # And the page size is inlined as a validated integer (Athena takes parameters in WHERE only)
    assert all(q["Query"].rstrip().endswith("LIMIT 2") for q in sent)
    assert all("started_on >= CAST(? AS DATE)" in q["Query"] for q in sent[:3])
    assert "started_on >= " not in sent[3]["Query"]
    # And the keyset position went to Athena as parameters, not as SQL text
    assert all("s-3" not in q["Query"] and "10:00" not in q["Query"] for q in sent)


def test_session_requests_products_breakdown_parse(athena, tokens):
    # Given scripted rows for a session (two product lines, one request without products),
    queue_result(
        [
            ("request_id", "varchar"),
            ("occurred_at", "timestamp"),
            ("method", "varchar"),
            ("path", "varchar"),
            ("status", "integer"),
            ("duration_ms", "bigint"),
            ("line_number", "integer"),
            ("product_id", "varchar"),
            ("product_name", "varchar"),
            ("category", "varchar"),
            ("unit_price", "decimal(18,4)"),
            ("currency", "varchar"),
            ("quantity", "bigint"),
        ],
        [
            [
                "r-1",
                "2026-11-20 10:00:00.000",
                "GET",
                "/cart",
                "200",
                "12",
                "1",
                "p-1",
                "Mug",
                "kitchen",
                "12.5000",
                "GBP",
                "2",
            ],
            [
                "r-1",
                "2026-11-20 10:00:00.000",
                "GET",
                "/cart",
                "200",
                "12",
                "2",
                "p-2",
                "Pan",
                "kitchen",
                "30.0000",
                "GBP",
                "1",
            ],
            [
                "r-2",
                "2026-11-20 10:01:00.000",
                "GET",
                "/",
                "404",
                "3",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ],
        ],
    )
    # a breakdown and a product list
    queue_result(
        [
            ("client_id", "varchar"),
            ("reseller_id", "varchar"),
            ("user_id", "varchar"),
            ("sessions", "bigint"),
            ("requests", "bigint"),
        ],
        [["acme", "north-shop", "u-1", "2", "5"]],
    )
    queue_result(
        [
            ("product_id", "varchar"),
            ("name", "varchar"),
            ("category", "varchar"),
            ("currency", "varchar"),
            ("requests", "bigint"),
            ("sessions", "bigint"),
            ("quantity", "bigint"),
            ("revenue", "decimal(38,4)"),
        ],
        [["p-1", "Mug", "kitchen", "GBP", "9", "4", "12", "150.0000"]],
    )
    api = make_app(athena, tokens)
    # When each route is called
    session = api.get("/v1/sessions/s-9/requests", headers=HEADERS).json()
    breakdown = api.get(
        "/v1/metrics/sessions/breakdown", params={"from": "2026-11-01", "to": "2026-11-30"}, headers=HEADERS
    ).json()
    products = api.get(
        "/v1/metrics/products", params={"from": "2026-11-01", "to": "2026-11-30", "limit": 5}, headers=HEADERS
    ).json()
    # Then every Athena string came back typed
    assert session["requests"][0]["products"] == [
        {
            "product_id": "p-1",
            "name": "Mug",
            "category": "kitchen",
            "unit_price": 12.5,
            "currency": "GBP",
            "quantity": 2,
        },
        {
            "product_id": "p-2",
            "name": "Pan",
            "category": "kitchen",
            "unit_price": 30.0,
            "currency": "GBP",
            "quantity": 1,
        },
    ]
    assert session["requests"][1] == {
        "request_id": "r-2",
        "occurred_at": "2026-11-20T10:01:00.000000Z",
        "method": "GET",
        "path": "/",
        "status": 404,
        "duration_ms": 3,
        "products": [],
    }
    assert breakdown["rows"] == [
        {
            "client_id": "acme",
            "reseller_id": "north-shop",
            "user_id": "u-1",
            "sessions": 2,
            "requests": 5,
            "requests_per_session": 2.5,
        }
    ]
    assert products["products"][0]["revenue"] == 150.0
    # And the session id and the limit were parameters
    executions = sent_queries(athena)
    session_lookup = ["'s-9'", "'acme'", "'north-shop'"]
    assert executions[0]["ExecutionParameters"] == [*session_lookup, *session_lookup, "'s-9'"]
    assert "s-9" not in executions[0]["Query"]
    assert executions[2]["Query"].rstrip().endswith("LIMIT 5")
    # And November is one month: both totals come from the month's rows of the aggregates
    assert "agg_session_metrics" in executions[1]["Query"]
    assert executions[1]["ExecutionParameters"][:2] == ["'month'", "'user'"]
    assert "agg_product_metrics" in executions[2]["Query"]
    assert "continuations" not in executions[2]["Query"]
    assert executions[2]["ExecutionParameters"][:2] == ["'month'", "'reseller'"]


def test_a_query_that_does_not_finish_in_time_is_503_and_is_stopped(athena, tokens):
    # Given Athena queries that stay queued (moto's manual state progression)
    state_manager.set_transition(
        model_name="athena::execution", transition={"progression": "manual", "times": 10_000}
    )
    try:
        api = make_app(athena, tokens, timeout=0.3, sleep=__import__("time").sleep)
        # When a request waits for one
        response = api.get(
            "/v1/metrics/sessions", params={"from": "2026-11-01", "to": "2026-11-02"}, headers=HEADERS
        )
    finally:
        state_manager.unset_transition("athena::execution")
    # Then it gets 503 with Retry-After and the JSON body, and the query was cancelled
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "backend_unavailable"
    (execution,) = sent_queries(athena)
    assert execution["Status"]["State"] == "CANCELLED"


def test_throttling_is_503_with_retry_after(aws_env, tokens):
    # Given Athena answering StartQueryExecution with TooManyRequestsException
    client = boto3.client("athena", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_client_error(
            "start_query_execution",
            service_error_code="TooManyRequestsException",
            service_message="Rate exceeded",
            http_status_code=400,
        )
        # When a request comes in
        response = make_app(client, tokens).get(
            "/v1/metrics/products", params={"from": "2026-11-01", "to": "2026-11-02"}, headers=HEADERS
        )
    # Then it is a 503 with Retry-After and a JSON body
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "backend_unavailable"


@pytest.mark.parametrize(("retryable", "status"), [(True, 503), (False, 500)])
def test_failed_queries(aws_env, tokens, retryable, status):
    # Given a query that Athena reports FAILED, retryable or not
    client = boto3.client("athena", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
        stub.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "QueryExecutionId": "q-1",
                    "Status": {
                        "State": "FAILED",
                        "StateChangeReason": "line 1:8: Column 'x' cannot be resolved",
                        "AthenaError": {"ErrorCategory": 2, "ErrorType": 1006, "Retryable": retryable},
                    },
                }
            },
        )
        # When a request runs it
        response = make_app(client, tokens).get(
            "/v1/sessions", params={"from": "2026-11-01"}, headers=HEADERS
        )
    # Then a transient failure is a 503; anything else a bare 500 that reveals nothing
    assert response.status_code == status
    assert response.json()["error"]["code"] == ("backend_unavailable" if retryable else "internal_error")
    assert "Column" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "principal",
    [
        {"level": "global"},
        {"level": "client", "client_id": "acme"},
        PRINCIPAL,
        {"level": "user", "client_id": "acme", "reseller_id": "north-shop", "user_id": "u-1"},
    ],
)
def test_every_route_sends_trino_sql_with_one_parameter_per_placeholder(athena, tmp_path: Path, principal):
    import sqlglot
    from sqlglot import exp

    # Given a principal at each level and Athena answering every query with no rows
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"t": principal}))
    api = make_app(athena, tokens)
    dates = {"from": "2026-11-01", "to": "2026-11-30"}
    first_page = {"limit": 1}
    calls = [
        ("/v1/metrics/sessions", {**dates, "grain": "hour"}),
        ("/v1/metrics/sessions/breakdown", dates),
        ("/v1/metrics/sessions/breakdown", {"from": "2026-11-03", "to": "2026-11-12"}),
        ("/v1/metrics/products", dates),
        # Two whole weeks, then ten days: the multi-period product queries, per week and per day
        ("/v1/metrics/products", {"from": "2026-11-02", "to": "2026-11-15", "grain": "week"}),
        ("/v1/metrics/products", {"from": "2026-11-03", "to": "2026-11-12"}),
        ("/v1/sessions", {**dates, **first_page}),
        ("/v1/sessions", {}),
        ("/v1/sessions/s-1/requests", {}),
        ("/v1/sessions/s-1/requests", {"started_on": "2026-11-20"}),
    ]
    # When every route is called
    for path, params in calls:
        response = api.get(path, params=params, headers={"Authorization": "Bearer t"})
        assert response.status_code in (200, 404), (path, response.text)
    # Then each query parses as Athena (Trino) SQL and carries exactly one parameter per `?`
    executions = sent_queries(athena)
    # With no rows, the dated sessions page tries two look-back windows and then no window (two
    # more queries); the undated one asks for the scope's last active day first (one more); the
    # session hinted with a start day finds nothing there and asks again without it (one more).
    assert len(executions) == len(calls) + 4
    hinted = [e for e in executions if "started_on = CAST(? AS DATE)" in e["Query"]]
    assert len(hinted) == 1
    assert hinted[0]["Query"].count("event_date >= CAST(? AS DATE)") == 2
    for execution in executions:
        tree = sqlglot.parse_one(execution["Query"], read="athena")
        placeholders = list(tree.find_all(exp.Placeholder))
        assert len(placeholders) == len(execution.get("ExecutionParameters", [])), execution["Query"]
        # Parameters only where Athena documents them: never as a LIMIT
        assert not re.search(r"LIMIT\s+\?", execution["Query"], re.IGNORECASE), execution["Query"]
        named = {cte.alias for cte in tree.find_all(exp.CTE)}
        tables = [t for t in tree.find_all(exp.Table) if t.name not in named]
        assert tables, execution["Query"]
        assert all(t.db == DATABASE for t in tables), execution["Query"]


@pytest.mark.parametrize("bad", ["5", -1, 100_001, True, 2.5])
def test_a_limit_is_inlined_only_as_a_whole_number_in_range(bad):
    # Given a query whose LIMIT is a placeholder (Athena takes parameters in WHERE only)
    sql = "select * from t where a = ? order by b LIMIT ?"
    # When the limit is a valid integer, it is written into the SQL and the rest stay parameters
    assert inline_limits(sql, ["x", 50]) == ("select * from t where a = ? order by b LIMIT 50", ["x"])
    # Then anything else is refused, never written into the SQL
    with pytest.raises(ValueError, match="LIMIT must be a whole number"):
        inline_limits(sql, ["x", bad])
