{#-
    One row per request and product line (request_product_id = request_id:line_number).
    A view over the staged product lines (themselves a view that unnests the staged
    requests): a reader that filters it on a session or request unnests only those rows.
-#}
{{ config(materialized='view') }}

with

product_lines as (

    select * from {{ ref('stg_lake__request_products') }}

),

final as (

    select
        request_product_id,
        request_id,
        line_number,
        session_id,
        client_id,
        reseller_id,
        user_id,
        occurred_at,
        product_id,
        product_name,
        category,
        unit_price,
        currency,
        quantity,
        revenue,
        event_date
    from product_lines

)

select * from final
