{#-
    One row per UTC day, session, product and currency (product_session_day_id).
    previous_event_date is the previous day on which the session had requests with this
    product and currency (null on the first), so the distinct sessions of a product over a day
    range are its rows whose previous_event_date is null or before the range.
    Incremental: rewrites whole event dates that changed, and the other days of the sessions
    with product requests on them (a late request can give a later day a new previous_event_date).
-#}
{{ config(**incremental_settings('event_date')) }}

with

product_hours as (

    select * from {{ ref('int_product_session_hours') }}

),
{%- if is_incremental() %}

changed_dates as (

    {{ changed_event_dates() }}

),

changed_sessions as (

    select distinct product_hours.session_id
    from product_hours
    inner join changed_dates on product_hours.event_date = changed_dates.event_date

),

rewritten_dates as (

    select distinct product_hours.event_date
    from product_hours
    inner join changed_sessions on product_hours.session_id = changed_sessions.session_id

),

scoped as (

    select product_hours.*
    from product_hours
    inner join rewritten_dates on product_hours.event_date = rewritten_dates.event_date

),
{%- else %}

scoped as (

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
    from scoped
    group by 1, 2, 3, 4, 5, 6, 7

),

{%- if is_incremental() %}

{#- The rewritten sessions' product days over their whole history, for the previous one. #}
product_dates as (

    select distinct
        product_hours.session_id,
        product_hours.product_id,
        product_hours.currency,
        product_hours.event_date
    from product_hours
    where product_hours.session_id in (select daily.session_id from daily)

),

previous_dates as (

    select
        session_id,
        product_id,
        currency,
        event_date,
        lag(event_date) over (
            partition by session_id, product_id, currency order by event_date
        ) as previous_event_date
    from product_dates

),

with_previous as (

    select
        daily.*,
        previous_dates.previous_event_date
    from daily
    inner join previous_dates
        on
            daily.session_id = previous_dates.session_id
            and daily.product_id is not distinct from previous_dates.product_id
            and daily.currency is not distinct from previous_dates.currency
            and daily.event_date = previous_dates.event_date

),
{%- else %}

with_previous as (

    select
        *,
        lag(event_date) over (
            partition by session_id, product_id, currency order by event_date
        ) as previous_event_date
    from daily

),
{%- endif %}

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
