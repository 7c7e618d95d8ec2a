{#-
    One row per request and product line (request_product_id = request_id:line_number).
    Rewrites whole event dates that changed.
-#}
{{ config(**incremental_settings('event_date')) }}

with

product_lines as (

    select * from {{ ref('stg_lake__request_products') }}

),

{{ scope_to_changed_dates('product_lines') }}

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
    from scoped

)

select * from final
{{ storage_order(['session_id', 'request_id', 'line_number']) }}
