{#-
    One row per request and product line (request_product_id = request_id:line_number).
    Rewrites whole event dates that changed.
-#}
{{ config(**incremental_settings('event_date')) }}

with

product_lines as (

    select * from {{ ref('stg_lake__request_products') }}

),

{% if is_incremental() -%}
changed_dates as (

    {{ changed_event_dates() }}

),

scoped_lines as (

    select product_lines.*
    from product_lines
    inner join changed_dates on product_lines.event_date = changed_dates.event_date

),
{%- else -%}
scoped_lines as (

    select * from product_lines

),
{%- endif %}

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
    from scoped_lines

)

select * from final
