{#-
    One row per grain, level, tenant and period with activity (metric_id).
    Computed from session-hours (request grain, rolled up exactly): sessions are distinct
    session_ids, so they are exact for every period; requests add up.
    Incremental: rewrites every WHOLE period (of every grain) containing a changed date.
-#}
{{ config(**incremental_settings(['grain', 'level', 'period_date'])) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),

{% if is_incremental() %}
changed_dates as (

    {{ changed_event_dates() }}

),
{% endif %}

by_grain as (

    {{ rows_by_grain('session_hours', ['session_id', 'client_id', 'reseller_id', 'user_id', 'requests']) }}

),

rolled_up as (

    {{ rollup_tenant_levels('by_grain', ['grain', 'period_start'], [
        'count(distinct session_id) as sessions',
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

)

select * from final
{{ storage_order(['grain', 'level', 'client_id', 'reseller_id', 'user_id', 'period_start']) }}
