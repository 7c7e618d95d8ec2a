{#-
    How every incremental model is stored, in one place:
    - DuckDB: `replace_partitions` (strategies.sql) on `unique_key` (the partition column unless told otherwise):
      each run deletes the partitions (or entities) it produced and inserts them whole.
    - Athena: Hive Parquet tables, `insert_overwrite` of the `partition_by` partitions the run
      produced. dbt-athena batches the write when a run touches more than 100 partitions
      (Athena's limit per statement); `force_batch` makes it batch from the start on backfills.
    - Trino (the AWS twin, Athena's engine): the same Hive Parquet tables, partitioned the same
      way. dbt-trino has no `insert_overwrite`, so `overwrite_partitions` (strategies.sql) does what
      dbt-athena's does: the new rows go to a temporary table, the partitions they hold are
      deleted, then the rows are inserted. (Trino's own `insert_existing_partitions_behavior =
      OVERWRITE` cannot be used here: it clears the whole partition folder, and the file
      metastore standing in for Glue keeps each partition's metadata in that folder.)
    Models always produce WHOLE partitions, so every strategy ends in the same rows.
    A model whose columns drift fails on DuckDB; on Athena and Trino new columns are appended
    (Glue keeps the old partitions' schema), the only other setting dbt allows with enforced
    contracts. `post_hook` adds the model's own hooks after the shared ones.
-#}
{% macro incremental_settings(partition_by, unique_key=none, watermark=true, post_hook=[]) -%}
    {%- set partitions = partition_by if partition_by is not string else [partition_by] -%}
    {%- set settings = {'materialized': 'incremental', 'on_schema_change': 'fail'} -%}
    {%- set hooks = [] -%}
    {%- if target.type == 'athena' -%}
        {%- do settings.update({
            'incremental_strategy': 'insert_overwrite',
            'table_type': 'hive',
            'format': 'parquet',
            'partitioned_by': partitions,
            'force_batch': var('athena_force_batch', false),
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- elif target.type == 'trino' -%}
        {%- do settings.update({
            'incremental_strategy': 'overwrite_partitions',
            'unique_key': partitions,
            'views_enabled': false,
            'properties': {
                'format': "'PARQUET'",
                'partitioning': "array[" ~ (partitions | map('tojson') | join(', ') | replace('"', "'")) ~ "]",
            },
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- else -%}
        {%- do settings.update({
            'incremental_strategy': 'replace_partitions',
            'unique_key': unique_key or partition_by,
        }) -%}
    {%- endif -%}
    {%- if watermark -%}
        {%- do hooks.append("{{ record_staged_watermark() }}") -%}
    {%- endif -%}
    {%- do settings.update({'post_hook': hooks + post_hook}) -%}
    {{ return(settings) }}
{%- endmacro %}

{#-
    Whether incremental runs rewrite WHOLE partitions (Athena's insert_overwrite, Trino's
    partition overwrite) rather than only the rows of the requests or sessions that changed
    (DuckDB's delete + insert on the model's unique_key). Unit tests run on DuckDB and pin
    `whole_partitions: true` to check the Athena logic too; on the twin they run it as it is.
-#}
{% macro rewrites_whole_partitions() -%}
    {{ return(target.type in ('athena', 'trino') or var('whole_partitions', false)) }}
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
