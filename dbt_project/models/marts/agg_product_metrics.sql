{#-
    One row per grain, level, tenant, period, product and currency (metric_id).
    Computed from product-session-hours: requests, quantity and revenue add up; sessions are
    distinct session_ids. Incremental: rewrites every WHOLE period containing a changed date.
-#}
{{ config(**incremental_settings(['grain', 'level', 'period_date'])) }}

with

product_hours as (

    select * from {{ ref('int_product_session_hours') }}

),

{% if is_incremental() %}
changed_dates as (

    {{ changed_event_dates() }}

),
{% endif %}

by_grain as (

    {{ rows_by_grain('product_hours', [
        'session_id', 'client_id', 'reseller_id', 'user_id', 'product_id', 'product_name',
        'category', 'currency', 'requests', 'quantity', 'revenue',
    ]) }}

),

rolled_up as (

    {{ rollup_tenant_levels('by_grain', ['grain', 'period_start', 'product_id', 'currency'], [
        'max(product_name) as product_name',
        'max(category) as category',
        'cast(sum(requests) as bigint) as requests',
        'count(distinct session_id) as sessions',
        'cast(sum(quantity) as bigint) as quantity',
        'cast(sum(revenue) as decimal(18, 4)) as revenue',
    ]) }}

),

final as (

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

)

select * from final
{{ storage_order(['grain', 'level', 'client_id', 'reseller_id', 'user_id', 'period_start', 'product_id']) }}
