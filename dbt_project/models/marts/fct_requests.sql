{#- One row per request (request_id). Rewrites whole event dates that changed. -#}
{{ config(**incremental_settings('event_date')) }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

{{ scope_to_changed_dates('requests') }}

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
    from scoped

)

select * from final
{{ storage_order(['client_id', 'session_id', 'occurred_at']) }}
