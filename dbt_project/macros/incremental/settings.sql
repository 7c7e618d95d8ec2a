{#-
    How every incremental model is stored, in one place, with ONE algorithm on every engine
    (docs/adr/0009-iceberg-merge-on-keys.md):
    - A run computes the whole new state of the entities it touches (requests, sessions,
      periods) and MERGEs it into the table on the model's row key (`unique_key` plus the
      partition columns): a row that matches is updated, a new one inserted, and a tombstone
      (a row of the model's output matching `deleted_when`, e.g. `src.requests = 0`) deletes
      the stored row it matches; `update_condition` (staging's) lets a stored row win over the
      run's. One statement: on Iceberg one commit, on DuckDB one
      transaction, so a reader sees the table before the run or after it, never between.
    - Athena: Iceberg tables, dbt-athena's own `merge` (its `delete_condition` and
      `insert_condition` are set from `deleted_when`); it batches by partition when a statement
      would open more than 100 (`force_batch` makes it batch from the start on backfills).
    - Trino (the AWS twin, Athena's engine) and DuckDB: the same MERGE statement, written by
      `merge_keys` (strategies.sql), since dbt-trino and dbt-duckdb do not take those conditions.
    The partition columns are part of the key, and the MERGE pins the target's to the values the
    new rows hold (`merge_target_partitions`), so it reads only those partitions of the table.
    A model whose columns drift fails on DuckDB; on Athena and Trino new columns are appended,
    the only other setting dbt allows with enforced contracts. `post_hook` adds the model's own
    hooks after the shared ones.
-#}
{% macro incremental_settings(partition_by, unique_key, watermark=true, post_hook=[], deleted_when=none, update_condition=none) -%}
    {%- set partitions = partition_by if partition_by is not string else [partition_by] -%}
    {%- set keys = (unique_key if unique_key is not string else [unique_key]) | list -%}
    {%- for column in partitions if column not in keys -%}{%- do keys.append(column) -%}{%- endfor -%}
    {%- set settings = {
        'materialized': 'incremental',
        'on_schema_change': 'fail',
        'unique_key': keys,
        'partition_columns': partitions,
        'delete_condition': deleted_when,
        'update_condition': update_condition,
        'insert_condition': none if deleted_when is none else 'not (' ~ deleted_when ~ ')',
    } -%}
    {%- set hooks = [] -%}
    {%- if target.type == 'athena' -%}
        {%- do settings.update({
            'incremental_strategy': 'merge',
            'table_type': 'iceberg',
            'format': 'parquet',
            'partitioned_by': partitions,
            'force_batch': var('athena_force_batch', false),
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- elif target.type == 'trino' -%}
        {%- do settings.update({
            'incremental_strategy': 'merge_keys',
            'views_enabled': false,
            'properties': {
                'format': "'PARQUET'",
                'partitioning': "array[" ~ (partitions | map('tojson') | join(', ') | replace('"', "'")) ~ "]",
            },
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- else -%}
        {%- do settings.update({'incremental_strategy': 'merge_keys'}) -%}
    {%- endif -%}
    {%- if watermark -%}
        {%- do hooks.append("{{ record_staged_watermark() }}") -%}
    {%- endif -%}
    {%- do settings.update({'post_hook': hooks + post_hook}) -%}
    {{ return(settings) }}
{%- endmacro %}

{#-
    The physical row order of a mart, written after the model's final `select`. On DuckDB
    the rows are stored in this order, so each row group's min/max (zonemap) covers a narrow
    range of the API's filter columns (level, tenant keys, dates) and DuckDB skips the other
    row groups. Athena gets nothing: its CTAS/INSERT writers do not keep an ORDER BY, and
    its pruning comes from the `partitioned_by` directories instead.
-#}
{% macro storage_order(columns) -%}
    {{ return(adapter.dispatch('storage_order', 'request_analytics')(columns)) }}
{%- endmacro %}

{% macro default__storage_order(columns) -%}
    order by {{ columns | join(', ') }}
{%- endmacro %}

{% macro athena__storage_order(columns) -%}
{%- endmacro %}

{% macro trino__storage_order(columns) -%}
    {{ return(athena__storage_order(columns)) }}
{%- endmacro %}
