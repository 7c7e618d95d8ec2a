{#-
    One row per grain, level, tenant and period with activity (metric_id).
    Computed from session-hours (request grain, rolled up exactly): a session counts once in
    each period it had requests in (`user_period_metrics`), so sessions are exact for every
    period and level; requests add up.
    Incremental: recomputes every WHOLE period (of every grain) containing a date of a session
    with newly staged requests (a late first request can change its user on all of them) and
    merges it in on metric_id; a stored row of those periods it no longer holds (a user who
    lost the session) becomes a tombstone (requests = 0), which the MERGE deletes.
-#}
{{ config(**incremental_settings(
    ['grain', 'level', 'period_bucket'], unique_key='metric_id', deleted_when='src.requests = 0',
)) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),

{#- Outside the `if`, so that dbt sees the dependency at parse time. -#}
{%- set session_days = ref('int_session_hours') %}
{% if is_incremental() %}
{%- set changed = changed_dates_list(session_days=session_days) %}
changed_dates as (

    {{ changed_dates_relation(changed, session_days=session_days) }}

),

scoped as (

    -- From the first day of the earliest touched period: each is recomputed from all its rows.
    select session_hours.*
    from session_hours
    where session_hours.event_date >= {{ touched_periods_start(changed, 'changed_dates', metric_grains()) }}

),
{% else %}
scoped as (

    select * from session_hours

),
{% endif %}

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

period_metrics as (

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
        cast(period_start as date) as period_date,
        grain,
        level,
        {{ period_bucket('grain', 'level', 'period_start') }} as period_bucket
    from rolled_up
    {%- if is_incremental() %}
    where {{ touched_periods_condition('rolled_up', metric_grains(), 'changed_dates') }}
    {%- endif %}

),

{% set columns = [
    'metric_id', 'client_id', 'reseller_id', 'user_id', 'sessions', 'requests', 'requests_per_session',
    'period_start', 'period_date', 'grain', 'level', 'period_bucket',
] %}
final as (

    {#- A stored row of the touched periods the run no longer produces becomes a tombstone. #}
    {{ with_tombstones(
        'period_metrics', ['metric_id', 'grain', 'level', 'period_bucket'],
        touched_periods_condition('previous', metric_grains(), 'changed_dates'),
        columns,
    ) }}

)

select * from final
{{ storage_order(['grain', 'level', 'client_id', 'reseller_id', 'user_id', 'period_start']) }}
