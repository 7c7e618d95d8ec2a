{#-
    One row per request and product line (request_product_id = request_id:line_number).
    A table of the unnested product lines, partitioned by event_date (see fct_requests).
    Incremental: the lines of the requests staged since this model's watermark are merged in
    on request_product_id.
    Stored on DuckDB in (client_id, session_id) order: the API reads one session's lines.
-#}
{{ config(**incremental_settings('event_date', unique_key='request_product_id')) }}

with

product_lines as (

    select * from {{ ref('int_request_products_unnested') }}

),

{% if is_incremental() %}
staged_since as (

    {{ staged_since_watermark('product_lines') }}

),
{% else %}
staged_since as (

    select * from product_lines

),
{% endif %}

final as (

    select
        request_product_id,
        request_id,
        line_number,
        session_id,
        client_id,
        reseller_id,
        user_id,
        occurred_at,
        product_id,
        product_name,
        category,
        unit_price,
        currency,
        quantity,
        revenue,
        event_date
    from staged_since

)

select * from final
{{ storage_order(['client_id', 'session_id']) }}
