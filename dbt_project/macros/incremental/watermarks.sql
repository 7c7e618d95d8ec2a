{#- Each incremental model's progress through the staged requests (dbt_staged_watermarks). -#}

{#- The table where each incremental model records how far into the staged requests it has got. -#}
{% macro watermarks_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='dbt_staged_watermarks')) }}
{%- endmacro %}

{#-
    Staging's record of the latest landing it has staged from each log group
    (`landing_partition_since` reads it instead of the landing times of every staged row).
-#}
{% macro landing_marks_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='dbt_landing_marks')) }}
{%- endmacro %}

{#- on-run-start: each state table, created when missing. -#}
{% macro create_incremental_watermarks() -%}
    {{ create_state_table(watermarks_relation(), [
        ('model_name', 'varchar'), ('staged_watermark', 'timestamp'), ('recorded_at', 'timestamp'),
    ]) }}
{%- endmacro %}

{% macro create_landing_marks() -%}
    {{ create_state_table(landing_marks_relation(), [
        ('log_group', 'varchar'), ('latest_landed_at', 'timestamp'), ('recorded_at', 'timestamp'),
    ]) }}
{%- endmacro %}

{% macro create_state_table(relation, columns) -%}
    {{ return(adapter.dispatch('create_state_table', 'request_analytics')(relation, columns)) }}
{%- endmacro %}

{% macro default__create_state_table(relation, columns) -%}
    create table if not exists {{ relation }} (
        {%- for name, type in columns %}
        {{ name }} {{ type }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#-
    Athena: an Iceberg table. Every writer appends its rows after each run: an append never
    conflicts with another model's append in the same run (two MERGEs into one Iceberg table at
    once do: the twin found ICEBERG_COMMIT_ERROR), and the daily `maintain_tables` deletes the
    superseded rows and compacts the files, so the state stays one small file per table.
    Trino (the twin): the default `create table if not exists`, an Iceberg table of its catalog.
-#}
{% macro athena__create_state_table(relation, columns) -%}
    {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        create table {{ relation }}
        with (
            table_type = 'ICEBERG',
            is_external = false,
            format = 'PARQUET',
            location = '{{ target.s3_data_dir.rstrip("/") }}/{{ relation.schema }}/{{ relation.identifier }}/'
        ) as
        select
            {%- for name, type in columns %}
            cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
            {%- endfor %}
        where false
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
    `staged_at` of the rows staging writes in this run: when the dbt run started (UTC, to the
    millisecond, as both engines store it). Runs never overlap, so a later run's rows are
    always newer than anything a model has already taken in.
-#}
{% macro staged_at_literal() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] }}' as timestamp)
{%- endmacro %}

{#-
    Post-hook of every incremental model below staging: it has now taken in every row staged
    so far, so its watermark is this run's `staged_at` (no row can be staged later with an
    earlier one), appended without reading staging (on Athena a read of the column over all
    history is billed, per model and per run). It only runs when the model succeeded, so a
    failed or skipped model picks the missed rows up on its next run.
-#}
{% macro record_staged_watermark() -%}
    {#- Declares the dependency on int_requests_staged, which `changed_staged_rows` reads on
        incremental runs only (dbt infers dependencies from a full build's SQL). -#}
    {%- do ref('int_requests_staged') -%}
    insert into {{ watermarks_relation() }} (model_name, staged_watermark, recorded_at)
    select
        '{{ this.identifier }}' as model_name,
        {{ staged_at_literal() }} as staged_watermark,
        cast(current_timestamp as timestamp) as recorded_at
{%- endmacro %}

{#-
    The superseded rows of a state table, which `maintain_tables` deletes: only the greatest
    `value` of each `key` counts (each model's watermark, each log group's latest landing).
-#}
{% macro prune_state_table(relation, key, value) -%}
    delete from {{ relation }}
    where {{ key }} || '|' || cast({{ value }} as varchar) not in (
        select latest.{{ key }} || '|' || cast(max(latest.{{ value }}) as varchar)
        from {{ relation }} as latest
        group by latest.{{ key }}
    )
{%- endmacro %}

{#-
    Post-hook of staging: the latest landing of each log group among the rows this run staged
    (only this run's files are read: their staged_at bounds are this run's).
-#}
{% macro record_landing_marks() -%}
    insert into {{ landing_marks_relation() }} (log_group, latest_landed_at, recorded_at)
    select
        staged.log_group,
        max(staged.landed_at) as latest_landed_at,
        cast(current_timestamp as timestamp) as recorded_at
    from {{ this }} as staged
    where staged.staged_at = {{ staged_at_literal() }}
    group by staged.log_group
{%- endmacro %}
