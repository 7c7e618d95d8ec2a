{#-
    One row per UTC day, session, product and currency (product_session_day_id).
    Rewrites whole event dates that changed.
-#}
{{ config(**incremental_settings('event_date')) }}

with

product_hours as (

    select * from {{ ref('int_product_session_hours') }}

),

{% if is_incremental() -%}
changed_dates as (

    {{ changed_event_dates() }}

),

scoped_hours as (

    select product_hours.*
    from product_hours
    inner join changed_dates on product_hours.event_date = changed_dates.event_date

),
{%- else -%}
scoped_hours as (

    select * from product_hours

),
{%- endif %}

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
        cast(sum(requests) as bigint) as requests,
        cast(sum(quantity) as bigint) as quantity,
        cast(sum(revenue) as decimal(18, 4)) as revenue
    from scoped_hours
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
