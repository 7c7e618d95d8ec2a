{#-
    One row per UTC day, session (session_id within its reseller), product and currency
    (product_session_day_id), from the product lines, with the session's user (the user of its
    first request, from int_session_hours): a session's products count for its one user. The exact building block of the product metrics: requests, quantity and
    revenue add up; sessions are distinct session_ids. previous_event_date is the previous day
    on which the session had requests with this product and currency (null on the first), so
    the distinct sessions of a product over a day range are its rows whose
    previous_event_date is null or before the range.
    Incremental: every session with newly staged requests is recomputed whole (a late request
    can give a later day a new previous_event_date) and merged in on product_session_day_id.
-#}
{{ config(**incremental_settings('event_date', unique_key='product_session_day_id')) }}

with

product_lines as (

    select * from {{ ref('int_request_products_unnested') }}

),

scoped as (

    select product_lines.*
    from product_lines
    {%- if is_incremental() %}
    where {{ in_changed_sessions('product_lines') }}
    {%- endif %}

),

session_users as (

    -- Every hour of a session carries its one user; the hours of the changed sessions are
    -- already rebuilt in this run (int_session_hours comes first). Looked up by the changed
    -- sessions, not by `scoped`: a second reference would read the product lines again.
    select distinct
        session_hours.session_id,
        session_hours.client_id,
        session_hours.reseller_id,
        session_hours.user_id
    from {{ ref('int_session_hours') }} as session_hours
    {%- if is_incremental() %}
    where {{ in_changed_sessions('session_hours') }}
    {%- endif %}

),

daily as (

    select
        scoped.event_date,
        scoped.session_id,
        scoped.client_id,
        scoped.reseller_id,
        session_users.user_id,
        scoped.product_id,
        scoped.currency,
        max(scoped.product_name) as product_name,
        max(scoped.category) as category,
        -- A request naming the product on two lines is still one request.
        count(case when scoped.is_first_line_of_product then 1 end) as requests,
        cast(sum(scoped.quantity) as bigint) as quantity,
        cast(sum(scoped.revenue) as decimal(38, 4)) as revenue
    from scoped
    inner join session_users
        on
            scoped.session_id = session_users.session_id
            and scoped.client_id = session_users.client_id
            and scoped.reseller_id = session_users.reseller_id
    group by 1, 2, 3, 4, 5, 6, 7

),

with_previous as (

    {{ with_previous_event_date('daily', ['session_id', 'client_id', 'reseller_id', 'product_id', 'currency']) }}

),

final as (

    select
        {{ metric_key([
            'session_id', 'cast(event_date as varchar)', 'product_id', 'currency', 'client_id', 'reseller_id',
        ]) }}
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
