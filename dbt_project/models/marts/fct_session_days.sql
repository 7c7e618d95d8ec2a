{#-
    One row per session and UTC day it had requests on (session_day_id = session_id|date).
    A session spanning midnight has a row on each day. previous_event_date is the session's
    previous day with requests (null on its first), so the distinct sessions of a day range are
    its rows whose previous_event_date is null or before the range: no distinct count needed.
    Incremental on DuckDB: rewrites every session with newly landed requests whole.
    Incremental on Athena: rewrites whole event dates that changed, and the other days of the
    sessions active on them (a late request can give a later day a new previous_event_date).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_id')) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),
{%- if is_incremental() and rewrites_whole_partitions() %}

{{ scope_to_changed_sessions_dates('session_hours') }}
{%- else %}

{{ scope_to_changed('session_hours') }}
{%- endif %}

daily as (

    select
        event_date,
        session_id,
        client_id,
        reseller_id,
        user_id,
        cast(sum(requests) as bigint) as requests
    from scoped
    group by 1, 2, 3, 4, 5

),

{%- if is_incremental() and rewrites_whole_partitions() %}

{#- The rewritten sessions' days over their whole history, for the previous one. #}
session_dates as (

    select distinct
        session_hours.session_id,
        session_hours.event_date
    from session_hours
    where session_hours.session_id in (select daily.session_id from daily)

),

previous_dates as (

    select
        session_id,
        event_date,
        lag(event_date) over (partition by session_id order by event_date) as previous_event_date
    from session_dates

),

with_previous as (

    select
        daily.*,
        previous_dates.previous_event_date
    from daily
    inner join previous_dates
        on
            daily.session_id = previous_dates.session_id
            and daily.event_date = previous_dates.event_date

),
{%- else %}

{# Whole sessions (a full build, or DuckDB's rewrite of changed sessions): the window sees
    every day of each; only sessions with several days need it at all. #}
with_previous as (

    {{ with_previous_event_date('daily', ['session_id']) }}

),
{% endif %}
final as (

    select
        session_id || '|' || cast(event_date as varchar) as session_day_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        requests,
        previous_event_date,
        event_date
    from with_previous

)

select * from final
{{ storage_order(['client_id', 'event_date', 'session_id']) }}
