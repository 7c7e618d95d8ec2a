{#-
    One row per session and UTC day that continues the session from an earlier day
    (session_day_id): the rows of fct_session_days with a previous_event_date, a few per cent
    of them. The API subtracts them to count sessions over several periods; on Athena that
    query reads this small table rather than every session-day of its range.
    Incremental: the rows of each session with newly staged requests are merged in on
    session_day_id (those are the only rows whose previous_event_date or user can change; a row
    never stops being a continuation, since requests are only ever added).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_day_id')) }}

with

session_days as (

    select * from {{ ref('fct_session_days') }}

),

scoped as (

    select session_days.*
    from session_days
    {%- if is_incremental() %}
    where {{ in_changed_sessions('session_days') }}
    {%- endif %}

),

final as (

    select
        session_day_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        previous_event_date,
        event_date
    from scoped
    where previous_event_date is not null

)

select * from final
{{ storage_order(['client_id', 'event_date', 'session_id']) }}
