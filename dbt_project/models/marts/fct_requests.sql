{#-
    One row per request (request_id): the staged requests, in the columns the API reads.
    A table, so the API's reader (and Athena) reads one Parquet table partitioned by
    event_date, and the exposures depend on committed tables only.
    Incremental: the requests staged since this model's watermark (new ones, and a request
    whose stored copy lost to an earlier-landed one) are merged in on request_id.
    Stored on DuckDB in (client_id, session_id) order: the API reads one session's requests.
-#}
{{ config(**incremental_settings('event_date', unique_key='request_id')) }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

{% if is_incremental() %}
staged_since as (

    {{ staged_since_watermark('requests') }}

),
{% else %}
staged_since as (

    select * from requests

),
{% endif %}

final as (

    select
        request_id,
        session_id,
        client_id,
        reseller_id,
        user_id,
        occurred_at,
        method,
        path,
        status,
        duration_ms,
        product_lines,
        service,
        landed_at,
        event_date
    from staged_since

)

select * from final
{{ storage_order(['client_id', 'session_id']) }}
