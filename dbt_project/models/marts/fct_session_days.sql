{#-
    One row per session and UTC day it had requests on (session_day_id = session_id|date).
    A session spanning midnight has a row on each day. Incremental: rewrites every session
    with newly landed requests whole (DuckDB), or whole changed event dates (Athena).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_id')) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),

{{ scope_to_changed('session_hours') }}

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

final as (

    select
        session_id || '|' || cast(event_date as varchar) as session_day_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        requests,
        event_date
    from daily

)

select * from final
{{ storage_order(['client_id', 'event_date', 'session_id']) }}
