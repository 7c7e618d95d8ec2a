{#-
    One row per session and UTC hour in which it had requests (session_id, hour_start).
    The smallest exact building block of the session metrics: a request falls in exactly one
    session-hour, so requests add up, and distinct sessions of any period are the distinct
    session_ids of its session-hours. Incremental: rewrites every session with newly staged
    requests whole (DuckDB), or whole changed event dates (Athena).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_id')) }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

{{ scope_to_changed('requests') }}

hourly as (

    select
        session_id,
        client_id,
        reseller_id,
        user_id,
        event_date,
        {{ period_start('hour', 'occurred_at') }} as hour_start,
        -- Staging holds one row per request_id (tested unique): rows are distinct requests.
        count(*) as requests,
        min(occurred_at) as first_request_at,
        max(occurred_at) as last_request_at
    from scoped
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        session_id || '|' || {{ timestamp_key('hour_start') }} as session_hour_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        hour_start,
        requests,
        first_request_at,
        last_request_at,
        event_date
    from hourly

)

select * from final
