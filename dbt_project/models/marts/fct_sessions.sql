{#-
    One row per session (session_id within its reseller: client_id, reseller_id, session_id),
    with the session's user (the user of its first request): its first and last request,
    duration, requests and distinct products, over all of its days.
    Incremental on DuckDB: every session with newly staged requests is recomputed whole
    (unique_key session_id).
    Incremental on Athena: a changed day can change any session that had a request on it,
    whatever day it started. The run rebuilds WHOLE started_on partitions: every session that had a request
    on a changed date, plus every other session that starts on a date one of those sessions
    started on (before or after the change) or on a changed date.
-#}
{{ config(**incremental_settings('started_on', unique_key='session_id')) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),

product_days as (

    select * from {{ ref('fct_product_session_days') }}

),

{% if is_incremental() and rewrites_whole_partitions() %}
changed_dates as (

    {{ changed_event_dates() }}

),

previous_sessions as (

    select * from {{ this }}

),

changed_sessions as (

    select distinct session_hours.session_id
    from session_hours
    inner join changed_dates on session_hours.event_date = changed_dates.event_date

),

rebuilt_partitions as (

    select previous_sessions.started_on
    from previous_sessions
    inner join changed_sessions on previous_sessions.session_id = changed_sessions.session_id

    union

    select event_date as started_on from changed_dates

),

rebuilt_sessions as (

    select session_id from changed_sessions

    union

    select previous_sessions.session_id
    from previous_sessions
    inner join rebuilt_partitions on previous_sessions.started_on = rebuilt_partitions.started_on

),

scoped_hours as (

    select session_hours.*
    from session_hours
    inner join rebuilt_sessions on session_hours.session_id = rebuilt_sessions.session_id
    -- Nothing of a rebuilt session lies before the earliest rebuilt start: prunes old dates.
    where session_hours.event_date >= (select min(rebuilt_partitions.started_on) from rebuilt_partitions)

),

scoped_product_days as (

    select product_days.*
    from product_days
    inner join rebuilt_sessions on product_days.session_id = rebuilt_sessions.session_id
    where product_days.event_date >= (select min(rebuilt_partitions.started_on) from rebuilt_partitions)

),
{% elif is_incremental() %}
changed_sessions as (

    {{ changed_sessions() }}

),

scoped_hours as (

    select session_hours.*
    from session_hours
    where session_hours.session_id in (select changed_sessions.session_id from changed_sessions)

),

scoped_product_days as (

    select product_days.*
    from product_days
    where product_days.session_id in (select changed_sessions.session_id from changed_sessions)

),
{% else %}
scoped_hours as (

    select * from session_hours

),

scoped_product_days as (

    select * from product_days

),
{% endif %}

session_spans as (

    select
        session_id,
        client_id,
        reseller_id,
        user_id,
        min(first_request_at) as started_at,
        max(last_request_at) as ended_at,
        cast(sum(requests) as bigint) as requests
    from scoped_hours
    group by 1, 2, 3, 4

),

session_product_ids as (

    -- Distinct pairs first, then a plain count: cheaper than a grouped count(distinct).
    select distinct
        session_id,
        client_id,
        reseller_id,
        product_id
    from scoped_product_days

),

session_products as (

    select
        session_id,
        client_id,
        reseller_id,
        count(*) as distinct_products
    from session_product_ids
    group by 1, 2, 3

),

final as (

    select
        session_spans.session_id,
        session_spans.client_id,
        session_spans.reseller_id,
        session_spans.user_id,
        session_spans.started_at,
        session_spans.ended_at,
        {{ seconds_between('session_spans.started_at', 'session_spans.ended_at') }} as duration_seconds,
        session_spans.requests,
        coalesce(session_products.distinct_products, 0) as distinct_products,
        cast(session_spans.started_at as date) as started_on
    from session_spans
    left join session_products
        on
            session_spans.session_id = session_products.session_id
            and session_spans.client_id = session_products.client_id
            and session_spans.reseller_id = session_products.reseller_id

)

select * from final
{{ storage_order(['client_id', 'started_at', 'session_id']) }}
