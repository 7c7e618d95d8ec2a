{#-
    The raw lake as the `lake` source on DuckDB, recreated by `on-run-start` so that it always
    points at the current LAKE_ROOT:
    - `lake.request_events`: a view over every gzip NDJSON file under LAKE_ROOT, with explicit
      column types and the `ingest_date=` hive partition (kept as text, like the Glue table's
      projected partition). Staging's incremental runs filter it on `ingest_date`, as on
      Athena, and DuckDB opens only the files of the partitions that pass (hive partition
      pruning).
    An empty lake gets an empty view of the same shape, so a first `make build` before any
    ingest still succeeds.
    On Athena the source is the Glue table Terraform declares, so there is nothing to do.
-#}
{% macro lake_source_columns() -%}
    {{ return([
        ('schema_version', 'BIGINT'),
        ('request_id', 'VARCHAR'),
        ('session_id', 'VARCHAR'),
        ('client_id', 'VARCHAR'),
        ('reseller_id', 'VARCHAR'),
        ('user_id', 'VARCHAR'),
        ('occurred_at', 'VARCHAR'),
        ('method', 'VARCHAR'),
        ('path', 'VARCHAR'),
        ('status', 'BIGINT'),
        ('duration_ms', 'BIGINT'),
        ('products', 'STRUCT(product_id VARCHAR, name VARCHAR, category VARCHAR, unit_price DECIMAL(18, 4), currency VARCHAR, quantity BIGINT)[]'),
        ('service', 'VARCHAR'),
        ('ingested_at', 'VARCHAR'),
        ('log_group', 'VARCHAR'),
        ('log_stream', 'VARCHAR'),
        ('event_id', 'VARCHAR'),
    ]) }}
{%- endmacro %}

{% macro create_lake_source_view() -%}
    {{ return(adapter.dispatch('create_lake_source_view', 'request_analytics')()) }}
{%- endmacro %}

{% macro athena__create_lake_source_view() -%}
    select 1
{%- endmacro %}

{% macro trino__create_lake_source_view() -%}
    {{ return(athena__create_lake_source_view()) }}
{%- endmacro %}

{% macro default__create_lake_source_view() -%}
    {%- set root = env_var('LAKE_ROOT', 'data/lake') | replace("'", "''") -%}
    {%- set pattern = root ~ '/raw/request_events/ingest_date=*/*.json.gz' -%}
    {%- set files = 0 -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists lake') -%}
        {%- set files = query_scalar("select count(*) from glob('" ~ pattern ~ "')") -%}
        {{ log('lake source: ' ~ files ~ ' raw file(s) under ' ~ root, info=true) }}
    {%- endif -%}
    create or replace view lake.request_events as
    {{ lake_files_select(pattern if files else none) }}
{%- endmacro %}

{#- The typed rows of `files` (a glob, or a list of file names), or none of them. -#}
{% macro lake_files_select(files) -%}
    {%- set columns = lake_source_columns() -%}
    {% if files is not none -%}
    select *
    from read_json(
        {% if files is string -%}
        '{{ files }}',
        {%- else -%}
        [{%- for file in files %}'{{ file }}'{{ ', ' if not loop.last }}{%- endfor %}],
        {%- endif %}
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = true,
        hive_types_autocast = false,
        columns = {
            {%- for name, type in columns %}
            '{{ name }}': '{{ type }}'{{ ',' if not loop.last }}
            {%- endfor %}
        }
    )
    {%- else -%}
    select
        {%- for name, type in columns %}
        cast(null as {{ type }}) as {{ name }},
        {%- endfor %}
        cast(null as varchar) as ingest_date
    where false
    {%- endif %}
{%- endmacro %}
