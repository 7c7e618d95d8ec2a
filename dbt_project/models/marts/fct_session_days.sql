{#-
    One row per session (session_id within its reseller) and UTC day it had requests on
    (session_day_id = session_id|date|client_id|reseller_id), with the session's user.
    A session spanning midnight has a row on each day. previous_event_date is the session's
    previous day with requests (null on its first), so the distinct sessions of a day range are
    its rows whose previous_event_date is null or before the range: no distinct count needed.
    Incremental: every session with newly staged requests is recomputed whole (a late request
    can give a later day a new previous_event_date) and merged in on session_day_id.
-#}
{{ config(**incremental_settings('event_date', unique_key='session_day_id')) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),

scoped as (

    select session_hours.*
    from session_hours
    {%- if is_incremental() %}
    where {{ in_changed_sessions('session_hours') }}
    {%- endif %}

),

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

with_previous as (

    {{ with_previous_event_date('daily', ['session_id', 'client_id', 'reseller_id']) }}

),

final as (

    select
        {{ metric_key(['session_id', 'cast(event_date as varchar)', 'client_id', 'reseller_id']) }}
            as session_day_id,
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
