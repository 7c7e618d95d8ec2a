{#-
    One row per request (request_id). A view over the staged requests: they are already
    deduplicated and typed, so a table here would copy every request once more per build
    and rewrite it on every incremental run for nothing.
-#}
{{ config(materialized='view') }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

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
        product_lines,
        service,
        landed_at,
        event_date
    from requests

)

select * from final
