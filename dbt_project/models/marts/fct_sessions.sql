{#-
    One row per session (session_id within its reseller: client_id, reseller_id, session_id),
    with the session's user (the user of its first request): its first and last request,
    duration, requests and distinct products, over all of its days.
    Incremental: every session with newly staged requests is recomputed whole and merged in
    on (session_id, client_id, reseller_id, started_on). A late request before a session's
    first one moves it to an earlier started_on partition: the stored row under the old date
    is written back as a tombstone (requests = 0), which the MERGE deletes.
-#}
{{ config(**incremental_settings(
    'started_on', unique_key=['session_id', 'client_id', 'reseller_id'], deleted_when='src.requests = 0',
)) }}

with

session_hours as (

    select * from {{ ref('int_session_hours') }}

),

product_days as (

    select * from {{ ref('fct_product_session_days') }}

),

scoped_hours as (

    select session_hours.*
    from session_hours
    {%- if is_incremental() %}
    where {{ in_changed_sessions('session_hours') }}
    {%- endif %}

),

scoped_product_days as (

    select product_days.*
    from product_days
    {%- if is_incremental() %}
    where {{ in_changed_sessions('product_days') }}
    {%- endif %}

),

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

sessions as (

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

),

{% set columns = [
    'session_id', 'client_id', 'reseller_id', 'user_id', 'started_at', 'ended_at', 'duration_seconds',
    'requests', 'distinct_products', 'started_on',
] %}
final as (

    {#- A changed session's stored row under another started_on than its new one becomes a
        tombstone. Its stored started_on is a date the session has a request on (staging never
        drops one), so it is among the changed sessions' dates the run looks up. #}
    {{ with_tombstones(
        'sessions', ['session_id', 'client_id', 'reseller_id', 'started_on'],
        on_changed_sessions_dates('previous.started_on')
        ~ ' and previous.session_id in (' ~ changed_sessions() ~ ')',
        columns,
    ) }}

)

select * from final
{{ storage_order(['client_id', 'started_at', 'session_id']) }}
