{#-
    One row per UTC day, session, product and currency (product_session_day_id), from the
    product lines. The exact building block of the product metrics: requests, quantity and
    revenue add up; sessions are distinct session_ids. Incremental: rewrites every session
    with newly landed requests whole (DuckDB), or whole changed event dates (Athena).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_id')) }}

with

product_lines as (

    select * from {{ ref('stg_lake__request_products') }}

),

{{ scope_to_changed('product_lines') }}

daily as (

    select
        event_date,
        session_id,
        client_id,
        reseller_id,
        user_id,
        product_id,
        currency,
        max(product_name) as product_name,
        max(category) as category,
        -- A request naming the product on two lines is still one request.
        count(case when is_first_line_of_product then 1 end) as requests,
        cast(sum(quantity) as bigint) as quantity,
        cast(sum(revenue) as decimal(18, 4)) as revenue
    from scoped
    group by 1, 2, 3, 4, 5, 6, 7

),

final as (

    select
        {{ metric_key(['session_id', 'cast(event_date as varchar)', 'product_id', 'currency']) }}
            as product_session_day_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        product_id,
        product_name,
        category,
        currency,
        requests,
        quantity,
        revenue,
        event_date
    from daily

)

select * from final
{{ storage_order(['client_id', 'event_date', 'session_id']) }}
