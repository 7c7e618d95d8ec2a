{#-
    One row per request (request_id), the earliest landed copy of it.
    Incremental: a run reads only the ingest_date partitions landed since the last run, from
    the latest one already read from each log group (it may have grown since; see
    `landing_partition_since`), on every engine. Each run records the latest landing it staged
    per log group (`record_landing_marks`), so that lookup reads a few rows, not history.
    The run keeps the first landed copy of each request among what it read, and MERGEs it in
    on (request_id, event_date): it replaces the stored copy only if it landed before it
    (`update_condition`, `landed_before_stored`), so re-delivered copies never double-count,
    a copy read again changes nothing, and a late event joins its (already built) day.
    Every row written carries `staged_at`, the run that wrote it: the models downstream
    recompute what was staged after their watermark.
    Stored on DuckDB in (client_id, session_id) order, each run's rows together: the views
    fct_requests and fct_request_products read one session's rows through the zonemaps.
-#}
{{ config(**incremental_settings(
    'event_date', unique_key='request_id', watermark=false,
    update_condition=landed_before_stored(), post_hook=['{{ record_landing_marks() }}'],
)) }}

with

{% if is_incremental() %}
{%- set since_literal = none -%}
{%- if execute and model.resource_type != 'unit_test' -%}
    {#- From the landing marks (a few rows); the staged landing times only before the first mark. -#}
    {%- set since_literal = query_scalar(landing_partition_since(landing_marks_relation(), 'latest_landed_at')) -%}
    {%- if since_literal is none -%}
        {%- set since_literal = query_scalar(landing_partition_since(this)) -%}
    {%- endif -%}
{% endif %}
raw_landed as (

    -- The latest partition already read from each log group is read again: an ingest later
    -- that day adds files, a lagging log group lands under its own (earlier) dates, and the
    -- partition before it too while an ingest run that started on it may still be landing.
    select * from {{ source('lake', 'request_events') }}
    where
        {%- if since_literal is not none %}
        -- A literal, so the engine prunes partitions (DuckDB: files) before reading, and
        -- staging's landed_at, billed on Athena, is read once per run, by the query that found it.
        ingest_date >= '{{ since_literal }}'
        {%- else %}
        -- The same bound in SQL where no query ran (unit tests) or the staged table is empty
        -- (a build before the first ingest: every partition is read).
        ingest_date >= coalesce(({{ landing_partition_since(this) }}), '')
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

candidates as (

    select
        *,
        false as is_staged
    from dated

),

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

)

select * from final
{{ storage_order(['client_id', 'session_id']) }}
