{#-
    One row per session and UTC hour in which it had requests (session_hour_id). A session is
    its session_id within its reseller (client_id, reseller_id): the same id under two
    resellers is two sessions, never merged. Its user is the user of its first request
    (doc `session_user`), so a session that signs in midway stays one session of one user.
    The smallest exact building block of the session metrics: a request falls in exactly one
    session-hour, so requests add up, and distinct sessions of any period are the distinct
    sessions of its session-hours. Incremental: rewrites every session with newly staged
    requests whole (DuckDB), or on Athena whole event dates: the changed ones and every other
    date of their sessions (a late first request can change the session's user on all of them).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_id')) }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

{{ scope_session_days('requests') }}

{% if is_incremental() and rewrites_whole_partitions() %}
ranked_requests as (

    -- Athena rewrites whole dates: every date of each session active on a changed date (so
    -- those sessions are whole here), and only these dates of the other sessions on them.
    select
        client_id,
        reseller_id,
        session_id,
        user_id,
        row_number() over (
            partition by client_id, reseller_id, session_id order by occurred_at, request_id
        ) as request_rank
    from scoped
    where session_id in (select changed_sessions.session_id from changed_sessions)

),

session_users as (

    select
        client_id,
        reseller_id,
        session_id,
        user_id
    from ranked_requests
    where request_rank = 1

    union all

    -- The other sessions did not change, so neither did their user: the one already stored
    -- on the same dates (read from those partitions only, not from all of history).
    select distinct
        previous.client_id,
        previous.reseller_id,
        previous.session_id,
        previous.user_id
    from {{ this }} as previous
    where
        previous.event_date in (select rewritten_dates.event_date from rewritten_dates)
        and previous.session_id not in (select changed_sessions.session_id from changed_sessions)

),
{% else %}
ranked_requests as (

    -- Whole sessions: DuckDB's incremental runs rewrite changed sessions whole.
    select
        client_id,
        reseller_id,
        session_id,
        user_id,
        row_number() over (
            partition by client_id, reseller_id, session_id order by occurred_at, request_id
        ) as request_rank
    from scoped

),

session_users as (

    select
        client_id,
        reseller_id,
        session_id,
        user_id
    from ranked_requests
    where request_rank = 1

),
{% endif %}

hourly as (

    select
        scoped.session_id,
        scoped.client_id,
        scoped.reseller_id,
        session_users.user_id,
        scoped.event_date,
        {{ period_start('hour', 'scoped.occurred_at') }} as hour_start,
        -- Staging holds one row per request_id (tested unique): rows are distinct requests.
        count(*) as requests,
        min(scoped.occurred_at) as first_request_at,
        max(scoped.occurred_at) as last_request_at
    from scoped
    inner join session_users
        on
            scoped.client_id = session_users.client_id
            and scoped.reseller_id = session_users.reseller_id
            and scoped.session_id = session_users.session_id
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
