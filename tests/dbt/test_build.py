"""The dbt build over the shared simulated lake: marts match the contracts and the simulator.

`built_warehouse` (tests/conftest.py) runs `dbt build`, so every data test, unit test and
enforced contract of the project has passed once these tests run; here the marts are checked
against what the simulator says it generated (manifest.json), which dbt cannot know.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from dbt_helpers import DBT, PROJECT_ARGS, REPO, query, scalar

# docs/contracts.md section 3, column sets of the tables the API reads.
CONTRACT_COLUMNS = {
    "fct_requests": """request_id session_id client_id reseller_id user_id occurred_at event_date
        method path status duration_ms product_lines service landed_at""",
    "fct_request_products": """request_product_id request_id line_number session_id client_id reseller_id
        user_id occurred_at event_date product_id product_name category unit_price currency
        quantity revenue""",
    "fct_sessions": """session_id client_id reseller_id user_id started_at ended_at duration_seconds
        requests distinct_products started_on""",
    "fct_session_days": """session_day_id event_date session_id client_id reseller_id user_id requests
        previous_event_date""",
    "agg_session_metrics": """metric_id grain level client_id reseller_id user_id period_start
        sessions requests requests_per_session period_date period_bucket""",
    "fct_product_session_days": """product_session_day_id event_date session_id client_id reseller_id user_id
        product_id product_name category currency requests quantity revenue previous_event_date""",
    "agg_product_metrics": """metric_id grain level client_id reseller_id user_id period_start product_id
        product_name category currency requests sessions quantity revenue period_date period_bucket""",
    "fct_session_day_continuations": """session_day_id session_id client_id reseller_id user_id
        previous_event_date event_date""",
    "fct_product_session_day_continuations": """product_session_day_id session_id client_id reseller_id
        user_id product_id currency previous_event_date event_date""",
}


@pytest.mark.slow
def test_marts_have_exactly_the_contract_columns(built_warehouse):
    # Given: the warehouse dbt built
    # When: the columns of each mart are read from the catalog
    rows = query(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts'",
        {"wh": built_warehouse.warehouse_path},
    )
    # Then: each mart has exactly the columns docs/contracts.md lists
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    for table, columns in CONTRACT_COLUMNS.items():
        assert found.get(table) == set(columns.split()), table


@pytest.mark.slow
def test_global_requests_equal_the_simulated_valid_requests(built_warehouse):
    # Given: the simulator's count of distinct valid request ids (duplicates delivered twice)
    manifest = built_warehouse.lake.manifest
    assert manifest["duplicate_deliveries"] > 0
    wh = built_warehouse.warehouse_path
    # When/Then: every grain's global requests, and the request fact, count each id once
    per_grain = query(
        "select grain, sum(requests) from wh.marts.agg_session_metrics where level = 'global' group by grain",
        {"wh": wh},
    )
    assert dict(per_grain) == {
        grain: manifest["valid_request_ids"] for grain in ("hour", "day", "week", "month")
    }
    assert scalar(wh, "select count(*) from wh.marts.fct_requests") == manifest["valid_request_ids"]


@pytest.mark.slow
def test_daily_and_client_figures_match_the_simulator(built_warehouse):
    # Given: the simulator's requests and sessions per UTC day, and requests per client
    manifest = built_warehouse.lake.manifest
    wh = {"wh": built_warehouse.warehouse_path}
    # When: the daily global series and the client totals are read from the marts
    daily = query(
        "select strftime(period_start, '%Y-%m-%d'), requests, sessions from wh.marts.agg_session_metrics"
        " where grain = 'day' and level = 'global'",
        wh,
    )
    clients = query(
        "select client_id, sum(requests) from wh.marts.agg_session_metrics"
        " where grain = 'day' and level = 'client' group by client_id",
        wh,
    )
    # Then: they are the simulator's numbers (late events counted on the day they happened)
    assert {day: requests for day, requests, _ in daily} == manifest["requests_by_day"]
    assert {day: sessions for day, _, sessions in daily} == manifest["sessions_by_day"]
    assert dict(clients) == manifest["requests_by_client"]


@pytest.mark.slow
def test_same_user_id_under_two_resellers_stays_two_users(built_warehouse):
    # Given: the simulated tenants reuse user ids across resellers (e.g. u-1 everywhere)
    wh = {"wh": built_warehouse.warehouse_path}
    shared = query(
        "select user_id from wh.marts.fct_sessions group by user_id"
        " having count(distinct client_id || '/' || reseller_id) > 1",
        wh,
    )
    assert shared, "the simulator should reuse a user id under several resellers"
    # When: user-level rows of one shared user id are read
    user_id = shared[0][0]
    rows = query(
        "select count(distinct client_id || '/' || reseller_id) from wh.marts.agg_session_metrics"
        f" where level = 'user' and grain = 'month' and user_id = '{user_id}'",
        wh,
    )
    # Then: there is one user row per (client, reseller) owning that id, not one merged row
    assert rows[0][0] > 1


@pytest.mark.slow
def test_source_freshness_errors_on_a_lake_last_landed_days_ago(built_warehouse, tmp_path: Path):
    # Given: a lake whose newest event landed on 2026-11-21 (days before any run of this test)
    env = {
        "LAKE_ROOT": str(built_warehouse.lake.lake_root),
        "WAREHOUSE_PATH": str(built_warehouse.warehouse_path),
    }
    # When: dbt checks the source's freshness (warn after 1 h, error after 6 h)
    proc = subprocess.run(
        [str(DBT), "source", "freshness", *PROJECT_ARGS, "--target-path", str(tmp_path)],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    # Then: it fails with the source marked stale at error level
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "ERROR STALE" in proc.stdout


def storage_order(model: str) -> list[str]:
    """The columns a mart's `storage_order([...])` call names, read from its SQL."""
    sql = (REPO / "dbt_project" / "models" / "marts" / f"{model}.sql").read_text()
    found = re.search(r"storage_order\(\[([^\]]*)\]\)", sql)
    assert found, f"{model} does not call storage_order"
    return re.findall(r"'([a-z_]+)'", found.group(1))


# The request facts are views over staging: nothing of theirs is stored.
VIEW_MARTS = ("fct_requests", "fct_request_products")


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(set(CONTRACT_COLUMNS) - set(VIEW_MARTS)))
def test_marts_are_stored_in_their_storage_order(built_warehouse, model: str):
    # Given: a full build, whose marts should be stored sorted on the API's filter columns
    # (so DuckDB's per-row-group min/max let it skip the row groups of other tenants)
    columns = ", ".join(storage_order(model))
    # When: each row's position in storage is compared with its position in that order
    # (rowid breaks ties, so a stored table that is sorted gives identical positions)
    misplaced = scalar(
        built_warehouse.warehouse_path,
        f"""
        select count(*) filter (where stored <> sorted)
        from (
            select
                row_number() over (order by rowid) as stored,
                row_number() over (order by {columns}, rowid) as sorted
            from wh.marts.{model}
        )
        """,
    )
    # Then: no row is out of place
    assert misplaced == 0


def documented_models() -> dict[str, dict]:
    models: dict[str, dict] = {}
    for yml in (REPO / "dbt_project" / "models").rglob("_*__models.yml"):
        for model in yaml.safe_load(yml.read_text()).get("models", []):
            models[model["name"]] = model
    return models


@pytest.mark.slow
def test_every_model_states_its_grain_and_documents_exactly_its_columns(built_warehouse):
    # Given: the models' yml and the tables and views dbt built
    models = documented_models()
    sql_files = {path.stem for path in (REPO / "dbt_project" / "models").rglob("*.sql")}
    built = query(
        "select table_name, column_name from information_schema.columns"
        " where table_schema in ('staging', 'intermediate', 'marts')",
        {"wh": built_warehouse.warehouse_path},
    )
    columns_built: dict[str, set[str]] = {}
    for table, column in built:
        columns_built.setdefault(table, set()).add(column)
    # Then: every model is documented, states its grain and describes every built column
    assert set(models) == sql_files
    for name, model in models.items():
        assert "One row per" in model["description"], name
        documented = {column["name"] for column in model["columns"] if column.get("description")}
        assert documented == columns_built[name], name
