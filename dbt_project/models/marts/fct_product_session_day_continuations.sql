{#-
    One row per UTC day, session, product and currency that continues the session's use of the
    product from an earlier day (product_session_day_id): the rows of fct_product_session_days
    with a previous_event_date, a fraction of a per cent of them. The API subtracts them to
    count a product's sessions over several periods; on Athena that query reads this small
    table rather than every product-session-day of its range.
    Incremental: the rows of each session with newly staged requests are merged in on
    product_session_day_id (those are the only rows whose previous_event_date or user can
    change; a row never stops being a continuation, since requests are only ever added).
-#}
{{ config(**incremental_settings('event_date', unique_key='product_session_day_id')) }}

with

product_session_days as (

    select * from {{ ref('fct_product_session_days') }}

),

scoped as (

    select product_session_days.*
    from product_session_days
    {%- if is_incremental() %}
    where {{ in_changed_sessions('product_session_days') }}
    {%- endif %}

),

final as (

    select
        product_session_day_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        product_id,
        currency,
        previous_event_date,
        event_date
    from scoped
    where previous_event_date is not null

)

select * from final
{{ storage_order(['client_id', 'event_date', 'session_id']) }}
