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
    ['grain', 'level', 'period_date'], unique_key='metric_id', deleted_when='src.requests = 0',
)) }}

with

user_product_days as (

    select * from {{ ref('int_user_product_days') }}

),

{{ scope_to_touched_periods(
    'user_product_days', product_metric_grains(), session_days=ref('fct_product_session_days'),
) }}

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
        grain,
        level,
        cast(period_start as date) as period_date
    from rolled_up
    {{ keep_touched_periods('rolled_up', product_metric_grains()) }}

),

{%- set columns = [
    'metric_id', 'client_id', 'reseller_id', 'user_id', 'product_id', 'product_name', 'category', 'currency',
    'requests', 'sessions', 'quantity', 'revenue', 'period_start', 'grain', 'level', 'period_date',
] %}
{{ with_vanished_periods('period_metrics', product_metric_grains(), columns) }}

final as (

    select {{ columns | join(', ') }}
    from with_vanished

)

select * from final
{{ storage_order(['grain', 'level', 'client_id', 'reseller_id', 'user_id', 'period_start', 'product_id']) }}
