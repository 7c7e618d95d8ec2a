{#-
    One row per request and product line (request_id, line_number), from the staged
    (deduplicated) requests. A request without products has no row here.
    A view: the models that read it filter it to the requests they rebuild, and the
    engine unnests only those (a table here would copy every line once more per build).
    It carries `staged_at`, so fct_request_products takes in only the newly staged lines.
-#}
{{ config(materialized='view') }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

lines as (

    {{ unnest_products('requests', [
        'request_id', 'session_id', 'client_id', 'reseller_id', 'user_id',
        'occurred_at', 'landed_at', 'staged_at', 'event_date',
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
        is_first_line_of_product,
        landed_at,
        staged_at,
        event_date
    from lines

)

select * from final
