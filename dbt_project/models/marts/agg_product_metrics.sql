{#-
    One row per grain (day, week, month), level, tenant, period, product and currency
    (metric_id). Computed from user-product-days: requests, quantity and revenue add up;
    a session counts once per period it requested the product in (the days' sessions less
    their week or month repeats, `user_periods_from_units`).
    Incremental: recomputes every WHOLE period containing a date of a session with newly
    staged requests (its user may have changed on all of them), from that period's
    user-product-days (about a tenth of its product-session-days), and merges it in on
    metric_id; a stored row of those periods it no longer holds becomes a tombstone.
-#}
{{ config(**incremental_settings(
    ['grain', 'level', 'period_bucket'], unique_key='metric_id', deleted_when='src.requests = 0',
)) }}

with

user_product_days as (

    select * from {{ ref('int_user_product_days') }}

),

{#- Outside the `if`, so that dbt sees the dependency at parse time. -#}
{%- set session_days = ref('fct_product_session_days') %}
{% if is_incremental() %}
{%- set changed = changed_dates_list(session_days=session_days) %}
changed_dates as (

    {{ changed_dates_relation(changed, session_days=session_days) }}

),

scoped as (

    -- From the first day of the earliest touched period: each is recomputed from all its rows.
    select user_product_days.*
    from user_product_days
    where user_product_days.event_date >= {{ touched_periods_start(changed, 'changed_dates', product_metric_grains()) }}

),
{% else %}
scoped as (

    select * from user_product_days

),
{% endif %}

user_periods as (

    {{ user_periods_from_units(
        'scoped', 'event_date', product_metric_grains(), ['product_id', 'currency'],
        sums=['requests', 'quantity', 'revenue'], maxes=['product_name', 'category'],
    ) }}

),

rolled_up as (

    {{ rollup_tenant_levels('user_periods', ['grain', 'period_start', 'product_id', 'currency'], [
        'max(product_name) as product_name',
        'max(category) as category',
        'cast(sum(requests) as bigint) as requests',
        'cast(sum(sessions) as bigint) as sessions',
        'cast(sum(quantity) as bigint) as quantity',
        'cast(sum(revenue) as decimal(38, 4)) as revenue',
    ]) }}

),

period_metrics as (

    select
        {{ metric_key([
            'grain', 'level', 'client_id', 'reseller_id', 'user_id',
            timestamp_key('period_start'), 'product_id', 'currency',
        ]) }} as metric_id,
        client_id,
        reseller_id,
        user_id,
        product_id,
        product_name,
        category,
        currency,
        requests,
        sessions,
        quantity,
        revenue,
        period_start,
        cast(period_start as date) as period_date,
        grain,
        level,
        {{ period_bucket('grain', 'level', 'period_start') }} as period_bucket
    from rolled_up
    {%- if is_incremental() %}
    where {{ touched_periods_condition('rolled_up', product_metric_grains(), 'changed_dates') }}
    {%- endif %}

),

{% set columns = [
    'metric_id', 'client_id', 'reseller_id', 'user_id', 'product_id', 'product_name', 'category', 'currency',
    'requests', 'sessions', 'quantity', 'revenue', 'period_start', 'period_date', 'grain', 'level', 'period_bucket',
] %}
final as (

    {#- A stored row of the touched periods the run no longer produces becomes a tombstone. #}
    {{ with_tombstones(
        'period_metrics', ['metric_id', 'grain', 'level', 'period_bucket'],
        touched_periods_condition('previous', product_metric_grains(), 'changed_dates'),
        columns,
    ) }}

)

select * from final
{{ storage_order(['grain', 'level', 'client_id', 'reseller_id', 'user_id', 'period_start', 'product_id']) }}
