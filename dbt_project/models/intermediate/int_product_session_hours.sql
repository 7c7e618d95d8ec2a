{#-
    One row per session, UTC hour, product and currency with requests naming that product
    (session_id, hour_start, product_id, currency). The exact building block of the product
    metrics: requests, quantity and revenue add up; sessions are distinct session_ids.
    Incremental: rewrites whole event dates that changed.
-#}
{{ config(**incremental_settings('event_date')) }}

with

product_lines as (

    select * from {{ ref('stg_lake__request_products') }}

),

{{ scope_to_changed_dates('product_lines') }}

hourly as (

    select
        session_id,
        client_id,
        reseller_id,
        user_id,
        event_date,
        {{ period_start('hour', 'occurred_at') }} as hour_start,
        product_id,
        currency,
        max(product_name) as product_name,
        max(category) as category,
        count(distinct request_id) as requests,
        cast(sum(quantity) as bigint) as quantity,
        cast(sum(revenue) as decimal(18, 4)) as revenue
    from scoped
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

final as (

    select
        {{ metric_key(['session_id', timestamp_key('hour_start'), 'product_id', 'currency']) }}
            as product_session_hour_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        hour_start,
        product_id,
        product_name,
        category,
        currency,
        requests,
        quantity,
        revenue,
        event_date
    from hourly

)

select * from final
