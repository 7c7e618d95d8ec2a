{#-
    One row per UTC day, session, product and currency (product_session_day_id), from the
    product lines. The exact building block of the product metrics: requests, quantity and
    revenue add up; sessions are distinct session_ids. previous_event_date is the previous day
    on which the session had requests with this product and currency (null on the first), so
    the distinct sessions of a product over a day range are its rows whose
    previous_event_date is null or before the range.
    Incremental on DuckDB: rewrites every session with newly landed requests whole.
    Incremental on Athena: rewrites whole event dates that changed, and the other days of the
    sessions with product requests on them (a late request can give a later day a new
    previous_event_date).
-#}
{{ config(**incremental_settings('event_date', unique_key='session_id')) }}

with

product_lines as (

    select * from {{ ref('stg_lake__request_products') }}

),
{%- if is_incremental() and rewrites_whole_partitions() %}

{{ scope_to_changed_sessions_dates('product_lines') }}
{%- else %}

{{ scope_to_changed('product_lines') }}
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
        -- A request naming the product on two lines is still one request.
        count(case when is_first_line_of_product then 1 end) as requests,
        cast(sum(quantity) as bigint) as quantity,
        cast(sum(revenue) as decimal(18, 4)) as revenue
    from scoped
    group by 1, 2, 3, 4, 5, 6, 7

),

{%- if is_incremental() and rewrites_whole_partitions() %}

{#- The rewritten sessions' product days over their whole history, for the previous one. #}
product_dates as (

    select distinct
        product_lines.session_id,
        product_lines.product_id,
        product_lines.currency,
        product_lines.event_date
    from product_lines
    where product_lines.session_id in (select daily.session_id from daily)

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

{# Whole sessions (a full build, or DuckDB's rewrite of changed sessions). #}
with_previous as (

    {{ with_previous_event_date('daily', ['session_id', 'product_id', 'currency']) }}

),
{% endif %}
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
