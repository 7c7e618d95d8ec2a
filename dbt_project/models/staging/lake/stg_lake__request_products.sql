{#-
    One row per request and product line (request_id, line_number), from the staged
    (deduplicated) requests. A request without products has no row here.
    Incremental: unnests only the requests of the changed event dates and rewrites those
    dates whole.
-#}
{{ config(**incremental_settings('event_date')) }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

{{ scope_to_changed_dates('requests') }}

lines as (

    {{ unnest_products('scoped', [
        'request_id', 'session_id', 'client_id', 'reseller_id', 'user_id',
        'occurred_at', 'landed_at', 'event_date',
    ]) }}

),

final as (

    select
        request_id || ':' || cast(line_number as varchar) as request_product_id,
        request_id,
        cast(line_number as integer) as line_number,
        session_id,
        client_id,
        reseller_id,
        user_id,
        occurred_at,
        product_id,
        product_name,
        category,
        cast(unit_price as decimal(18, 4)) as unit_price,
        currency,
        cast(quantity as bigint) as quantity,
        cast(cast(unit_price as decimal(18, 4)) * quantity as decimal(18, 4)) as revenue,
        landed_at,
        event_date
    from lines

)

select * from final
