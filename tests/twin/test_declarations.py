"""The twin's names and raw table come from the one declaration each (fast, no servers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin.raw_table import hive_to_trino, raw_table
from twin.servers import trino_config
from twin.settings import REPO, TwinSettings, TwinSettingsError, find_java_home
from twin.terraform_names import terraform_names

DUCKDB_TYPES = {"string": "VARCHAR", "int": "BIGINT", "bigint": "BIGINT", "decimal(18,4)": "DECIMAL(18, 4)"}


def duckdb_lake_columns() -> list[tuple[str, str]]:
    """The (name, type) pairs of `lake_source_columns()`, DuckDB's view over LAKE_ROOT."""
    text = (REPO / "dbt_project" / "macros" / "lake_source.sql").read_text()
    body = text.split("macro lake_source_columns()", 1)[1].split("endmacro", 1)[0]
    return re.findall(r"\('([a-z_]+)', '([^']+)'\)", body)


def duckdb_spelling(hive: str) -> str:
    if match := re.fullmatch(r"array<struct<(.+)>>", hive):
        fields = re.split(r",(?![^()]*\))", match.group(1))
        inner = ", ".join(
            f"{name} {duckdb_spelling(kind)}" for name, kind in (f.split(":", 1) for f in fields)
        )
        return f"STRUCT({inner})[]"
    return DUCKDB_TYPES[hive]


def test_duckdb_reads_the_raw_files_with_the_declared_columns():
    # Given the one declaration of the raw table and DuckDB's typed view over the same files
    declared = [(column.name, column.hive_type) for column in raw_table().columns]
    # Then DuckDB reads the same columns, in order, with the same types (int widened to BIGINT)
    assert [name for name, _ in duckdb_lake_columns()] == [name for name, _ in declared]
    assert duckdb_lake_columns() == [(name, duckdb_spelling(kind)) for name, kind in declared]


def test_the_twin_spells_the_declared_types_in_trino():
    # Given the products column as Glue declares it
    products = next(c for c in raw_table().columns if c.name == "products")
    # Then Trino's DDL has the same struct, with unit_price a decimal (never a double)
    assert products.trino_type == (
        "array(row(product_id varchar, name varchar, category varchar, unit_price decimal(18, 4), "
        "currency varchar, quantity bigint))"
    )
    assert hive_to_trino("int") == "integer"
    with pytest.raises(ValueError, match="no Trino spelling"):
        hive_to_trino("uniontype<int,string>")
    ddl = raw_table().trino_create_sql("hive", "raw", "s3://lake/raw/request_events/")
    assert "format = 'OPENX_JSON'" in ddl
    assert "partitioned_by = array['ingest_date']" in ddl
    assert ddl.index("event_id varchar") < ddl.index("ingest_date varchar")


def test_the_twin_uses_the_names_terraform_declares():
    # Given the Terraform root module's defaults, in moto's account
    names = terraform_names()
    # Then the buckets, databases and dbt's data directory are Terraform's, not a second copy
    assert names.lake_bucket == "request-analytics-lake-123456789012"
    assert names.raw_location == "s3://request-analytics-lake-123456789012/raw/request_events/"
    assert (names.raw_database, names.marts_database) == ("request_analytics_raw", "request_analytics_marts")
    assert names.marts_data_dir == "s3://request-analytics-lake-123456789012/marts/"
    assert names.dbt_workgroup["output_location"] == "s3://request-analytics-athena-results-123456789012/dbt/"


def test_twin_settings_reject_more_than_four_gigabytes_of_heap(tmp_path: Path):
    with pytest.raises(TwinSettingsError, match="TWIN_HEAP_GB"):
        TwinSettings.from_env({"TWIN_HEAP_GB": "6", "TWIN_JAVA_HOME": str(tmp_path), "HOME": str(tmp_path)})
    with pytest.raises(TwinSettingsError, match="whole number"):
        TwinSettings.from_env(
            {"TWIN_TRINO_PORT": "x", "TWIN_JAVA_HOME": str(tmp_path), "HOME": str(tmp_path)}
        )


def test_a_jdk_older_than_trino_needs_is_not_picked(tmp_path: Path):
    # Given a JVM directory with only a Java 17
    old = tmp_path / "java-17"
    (old / "bin").mkdir(parents=True)
    (old / "bin" / "java").write_text("")
    (old / "release").write_text('JAVA_VERSION="17.0.15"\n')
    # Then no JDK is found, with a message that says what Trino needs
    with pytest.raises(TwinSettingsError, match="needs Java 24"):
        find_java_home(tmp_path)
    # And a Java 25 beside it is picked
    new = tmp_path / "temurin-25"
    (new / "bin").mkdir(parents=True)
    (new / "bin" / "java").write_text("")
    (new / "release").write_text('JAVA_VERSION="25.0.3"\n')
    assert find_java_home(tmp_path) == new


def test_the_small_file_threshold_reaches_the_iceberg_catalog(tmp_path: Path):
    # Given the bench's setting (its files are a hundredth of production's) and the default
    env = {"TWIN_JAVA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    bench = TwinSettings.from_env({**env, "TWIN_PARQUET_SMALL_FILE_KB": "0"})
    default = TwinSettings.from_env(env)
    # Then Trino's Iceberg catalog reads whole only the files under it: none for the bench,
    # and those under Trino's own 3 MB otherwise
    assert "parquet.small-file-threshold=0kB" in trino_config(bench)["catalog/iceberg.properties"]
    assert "parquet.small-file-threshold=3072kB" in trino_config(default)["catalog/iceberg.properties"]
