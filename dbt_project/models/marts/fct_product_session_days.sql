{#-
    One row per UTC day, session, product and currency (product_session_day_id), from the
    product lines. The exact building block of the product metrics: requests, quantity and
    revenue add up; sessions are distinct session_ids. previous_event_date is the previous day
    on which the session had requests with this product and currency (null on the first), so
    the distinct sessions of a product over a day range are its rows whose
    previous_event_date is null or before the range.
    Incremental on DuckDB: rewrites every session with newly staged requests whole.
    Incremental on Athena: rewrites whole event dates that changed, and the other days of the
    sessions with product requests on them (a late request can give a later day a new
    previous_event_date).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_id')) }}

with

product_lines as (

    select * from {{ ref('stg_lake__request_products') }}

),

{{ scope_session_days('product_lines') }}

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

{{ previous_event_date_ctes('daily', 'product_lines', ['session_id', 'product_id', 'currency']) }}

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
        previous_event_date,
        event_date
    from with_previous

)

select * from final
{{ storage_order(['client_id', 'event_date', 'session_id']) }}
