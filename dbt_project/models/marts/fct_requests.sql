{#- One row per request (request_id). Rewrites whole event dates that changed. -#}
{{ config(**incremental_settings('event_date')) }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

{% if is_incremental() -%}
changed_dates as (

    {{ changed_event_dates() }}

),

scoped_requests as (

    select requests.*
    from requests
    inner join changed_dates on requests.event_date = changed_dates.event_date

),
{%- else -%}
scoped_requests as (

    select * from requests

),
{%- endif %}

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
        product_lines,
        service,
        landed_at,
        event_date
    from scoped_requests

)

select * from final
