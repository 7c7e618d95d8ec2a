{#-
    One row per session and UTC hour in which it had requests (session_hour_id). A session is
    its session_id within its reseller (client_id, reseller_id): the same id under two
    resellers is two sessions, never merged. Its user is the user of its first request
    (doc `session_user`), so a session that signs in midway stays one session of one user.
    The smallest exact building block of the session metrics: a request falls in exactly one
    session-hour, so requests add up, and distinct sessions of any period are the distinct
    sessions of its session-hours. Incremental: every session with newly staged requests is
    recomputed whole and merged in on session_hour_id (a late first request can change the
    session's user on all of its hours).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_hour_id')) }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

scoped as (

    select requests.*
    from requests
    {%- if is_incremental() %}
    where {{ in_changed_sessions('requests') }}
    {%- endif %}

),

attributed as (

    -- Whole sessions: incremental runs recompute changed sessions whole. Each request carries
    -- its session's user (the user of its first request), read in the same pass: a self-join
    -- of the session's first request would read the requests twice (Athena's engine inlines a
    -- CTE wherever it is named, and bills each read).
    select
        scoped.*,
        first_value(scoped.user_id) over (
            partition by scoped.client_id, scoped.reseller_id, scoped.session_id
            order by scoped.occurred_at, scoped.request_id
        ) as session_user_id
    from scoped

),

hourly as (

    select
        session_id,
        client_id,
        reseller_id,
        session_user_id as user_id,
        event_date,
        {{ period_start('hour', 'occurred_at') }} as hour_start,
        -- Staging holds one row per request_id (tested unique): rows are distinct requests.
        count(*) as requests,
        min(occurred_at) as first_request_at,
        max(occurred_at) as last_request_at
    from attributed
    group by 1, 2, 3, 4, 5, 6

),

final as (

    select
        {{ metric_key(['session_id', timestamp_key('hour_start'), 'client_id', 'reseller_id']) }}
            as session_hour_id,
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
