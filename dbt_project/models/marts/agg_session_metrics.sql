{#-
    One row per grain, level, tenant and period with activity (metric_id).
    Computed from session-hours (request grain, rolled up exactly): a session counts once in
    each period it had requests in (`user_period_metrics`), so sessions are exact for every
    period and level; requests add up.
    Incremental: rewrites every WHOLE period (of every grain) containing a date of a session
    with newly staged requests (a late first request can change its user on all of them).
-#}
{{ config(**incremental_settings(['grain', 'level', 'period_date'])) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),

{{ scope_to_touched_periods('session_hours', metric_grains(), session_days=ref('int_session_hours')) }}

user_periods as (

    {{ user_period_metrics(
        'scoped', 'hour_start', metric_grains(), [], sums=['requests'], maxes=[],
    ) }}

),

rolled_up as (

    {{ rollup_tenant_levels('user_periods', ['grain', 'period_start'], [
        'cast(sum(sessions) as bigint) as sessions',
        'cast(sum(requests) as bigint) as requests',
    ]) }}

),

final as (

    select
        {{ metric_key(['grain', 'level', 'client_id', 'reseller_id', 'user_id', timestamp_key('period_start')]) }}
            as metric_id,
        client_id,
        reseller_id,
        user_id,
        sessions,
        requests,
        cast(requests as double) / sessions as requests_per_session,
        period_start,
        grain,
        level,
        cast(period_start as date) as period_date
    from rolled_up
    {{ keep_touched_periods('rolled_up', metric_grains()) }}

)

select * from final
{{ storage_order(['grain', 'level', 'client_id', 'reseller_id', 'user_id', 'period_start']) }}
