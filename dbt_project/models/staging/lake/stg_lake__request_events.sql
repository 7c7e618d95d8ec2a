{#-
    One row per request (request_id), the earliest landed copy of it.
    Incremental: a run reads only what landed since the last run. On DuckDB that is the raw
    files not read yet (`lake.request_events_unread`, see `create_lake_source_view`); on
    Athena the partitions landed since, from the latest one already read (it may have grown
    since). The new copies compete with the
    staged copy of the same request_id, and the earliest landed one wins, so re-delivered
    copies never double-count and a late event joins its (already built) day.
    - DuckDB writes only the requests whose winner is a new copy (delete + insert on
      request_id): a run writes what it read that was new, whatever the history.
    - Athena overwrites partitions, so it rewrites WHOLE event dates: every staged request
      of each event date the new copies touch, with the new copies, deduplicated again.
      An ingest run writes its files under the partition of the date it started on, for as long
      as it runs, so the run reads back from the partition of the latest staged landing minus
      `landing_lookback_minutes` (default 15: AWS Lambda's longest run; the ingest's own limit
      is 10): a run that started before midnight and lands its last files after a dbt run has
      already read the next day is not lost.
    Every row written carries `staged_at`, the run that wrote it: the models downstream
    recompute what was staged after their watermark.
    Stored on DuckDB in (client_id, session_id) order, each run's rows together: the views
    fct_requests and fct_request_products read one session's rows through the zonemaps.
-#}
{%- set whole_dates = rewrites_whole_partitions() -%}
{#-
    The stored columns, in the table's order: the partition column (event_date) last, as Athena
    and Trino store it. Every branch below selects them by name, so a union of the staged table
    with the new rows never pairs columns by position.
-#}
{%- set staged_columns = [
    'request_id', 'session_id', 'client_id', 'reseller_id', 'user_id', 'occurred_at', 'method',
    'path', 'status', 'duration_ms', 'products', 'product_lines', 'service', 'schema_version',
    'landed_at', 'ingest_date', 'log_group', 'log_stream', 'event_id', 'staged_at', 'event_date',
] -%}
{#- DuckDB marks the raw files it listed as read (Athena and Trino read partitions, not a file list). -#}
{{ config(**incremental_settings(
    'event_date', unique_key='request_id', watermark=false,
    post_hook=["{{ mark_lake_files_read() }}"] if target.type == 'duckdb' else [],
)) }}

with

{% if is_incremental() and not whole_dates %}
staged as (

    select * from {{ this }}

),

raw_landed as (

    select * from {{ source('lake', 'request_events_unread') }}

),
{% elif is_incremental() %}
{%- set since_literal = none -%}
{%- if execute and model.resource_type != 'unit_test' -%}
    {%- set since_literal = query_scalar(landing_partition_since(this)) -%}
{% endif %}
staged as (

    select * from {{ this }}

),

raw_landed as (

    -- The latest partition already read from each log group is read again: an ingest later
    -- that day adds files, a lagging log group lands under its own (earlier) dates, and the
    -- partition before it too while an ingest run that started on it may still be landing.
    select * from {{ source('lake', 'request_events') }}
    where
        {%- if since_literal is not none %}
        -- A literal, so the engine prunes hive partitions before reading (and staging's
        -- landed_at, billed on Athena, is read once per run, by the query that found it).
        ingest_date >= '{{ since_literal }}'
        {%- else %}
        -- The same bound in SQL where no query ran (unit tests) or the staged table is empty
        -- (a build before the first ingest: every partition is read).
        ingest_date >= coalesce(({{ landing_partition_since('staged') }}), '')
        {%- endif %}

),
{% else %}
raw_landed as (

    select * from {{ source('lake', 'request_events') }}

),
{% endif %}

renamed as (

    select
        request_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        {{ parse_utc_timestamp('occurred_at') }} as occurred_at,
        upper(method) as method,
        path,
        cast(status as integer) as status,
        cast(duration_ms as bigint) as duration_ms,
        products,
        coalesce({{ array_length("products") }}, 0) as product_lines,
        service,
        cast(schema_version as integer) as schema_version,
        {{ parse_utc_timestamp('ingested_at') }} as landed_at,
        cast(ingest_date as varchar) as ingest_date,
        log_group,
        log_stream,
        event_id
    from raw_landed

),

dated as (

    select
        *,
        cast(occurred_at as date) as event_date,
        -- Change detection downstream follows this, not landed_at (see changed_staged_rows).
        {{ staged_at_literal() }} as staged_at
    from renamed

),

{% if is_incremental() and whole_dates %}
touched_dates as (

    select distinct event_date from dated

),

candidates as (

    -- Everything already staged for the touched dates competes with the new copies.
    select
        {%- for column in staged_columns %}
        staged.{{ column }},
        {%- endfor %}
        true as is_staged
    from staged
    inner join touched_dates on staged.event_date = touched_dates.event_date

    union all

    select
        {%- for column in staged_columns %}
        dated.{{ column }},
        {%- endfor %}
        false as is_staged
    from dated

),
{% elif is_incremental() %}
candidates as (

    -- The staged copy of a request read again competes with the new copies of it.
    select
        {%- for column in staged_columns %}
        staged.{{ column }},
        {%- endfor %}
        true as is_staged
    from staged
    where staged.request_id in (select dated.request_id from dated)

    union all

    select
        {%- for column in staged_columns %}
        dated.{{ column }},
        {%- endfor %}
        false as is_staged
    from dated

),
{% else %}
candidates as (

    select
        *,
        false as is_staged
    from dated

),
{% endif %}

first_copies as (

    {{ first_landed_copies('candidates') }}

),

final as (

    select
        request_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        occurred_at,
        method,
        path,
        status,
        duration_ms,
        products,
        product_lines,
        service,
        schema_version,
        landed_at,
        ingest_date,
        log_group,
        log_stream,
        event_id,
        staged_at,
        event_date
    from first_copies
    {%- if is_incremental() and not whole_dates %}
    -- A staged copy that won is already stored as it is.
    where not first_copies.is_staged
    {%- endif %}

)

select * from final
{{ storage_order(['client_id', 'session_id']) }}
