{#-
    One row per UTC day, user (client_id, reseller_id, user_id), product and currency
    (user_product_day_id): the product-session-days of the user summed, about a tenth as many
    rows. The building block of the product metrics: requests, quantity and revenue add up,
    and `sessions` counts the user's product-session-days. A session requesting the product
    on several days of a week counts once per day here; `week_repeats` and `month_repeats`
    count the days it had already been counted earlier in the same ISO week or month (its
    previous_event_date falls inside them), so a week's sessions are sum(sessions) minus
    sum(week_repeats) over its days, exactly, with no distinct count.
    Incremental: recomputes WHOLE event dates, every date of each session with newly staged
    requests (a late request may change a later day's previous_event_date, a late first
    request the session's user), and merges them in on user_product_day_id. A stored row of
    those dates the run no longer produces (its user lost the session) is written back as a
    tombstone (requests = 0), which the MERGE deletes.
-#}
{{ config(**incremental_settings(
    'event_date', unique_key='user_product_day_id', deleted_when='src.requests = 0',
)) }}

with

product_session_days as (

    select * from {{ ref('fct_product_session_days') }}

),

{#- Outside the `if`, so that dbt sees the dependency at parse time. -#}
{%- set session_days = ref('fct_product_session_days') %}
{% if is_incremental() %}
{%- set changed_dates = changed_dates_list(session_days=session_days) %}
rewritten_dates as (

    {{ changed_dates_relation(changed_dates, session_days=session_days) }}

),

scoped as (

    select product_session_days.*
    from product_session_days
    inner join rewritten_dates on product_session_days.event_date = rewritten_dates.event_date

),
{% else %}
scoped as (

    select * from product_session_days

),
{% endif %}

user_days as (

    select
        event_date,
        client_id,
        reseller_id,
        user_id,
        product_id,
        currency,
        max(product_name) as product_name,
        max(category) as category,
        count(*) as sessions,
        -- The session was counted on an earlier day of this ISO week / month already.
        count(
            case when cast(previous_event_date as timestamp) >= {{ period_start('week', 'event_date') }} then 1 end
        ) as week_repeats,
        count(
            case when cast(previous_event_date as timestamp) >= {{ period_start('month', 'event_date') }} then 1 end
        ) as month_repeats,
        cast(sum(requests) as bigint) as requests,
        cast(sum(quantity) as bigint) as quantity,
        cast(sum(revenue) as decimal(38, 4)) as revenue
    from scoped
    group by 1, 2, 3, 4, 5, 6

),

user_product_days as (

    select
        {{ metric_key([
            'cast(event_date as varchar)', 'client_id', 'reseller_id', 'user_id', 'product_id', 'currency',
        ]) }} as user_product_day_id,
        client_id,
        reseller_id,
        user_id,
        product_id,
        product_name,
        category,
        currency,
        sessions,
        week_repeats,
        month_repeats,
        requests,
        quantity,
        revenue,
        event_date
    from user_days

),

{% set columns = [
    'user_product_day_id', 'client_id', 'reseller_id', 'user_id', 'product_id', 'product_name', 'category',
    'currency', 'sessions', 'week_repeats', 'month_repeats', 'requests', 'quantity', 'revenue', 'event_date',
] %}
final as (

    {{ with_tombstones(
        'user_product_days', ['user_product_day_id', 'event_date'],
        'previous.event_date in (select rewritten_dates.event_date from rewritten_dates)',
        columns,
    ) }}

)

select * from final
