{#-
    One row per staged request (request_id): when it was staged (`staged_at`), its session and
    event date. What every incremental model reads to find what changed since its watermark
    (`changed_staged_rows`), so that staging feeds the models through one narrow view rather
    than each of them directly. A view: no storage, and Athena reads only these columns.
-#}
{{ config(materialized='view') }}

with

requests as (

    select * from {{ ref('stg_lake__request_events') }}

),

final as (

    select
        request_id,
        session_id,
        client_id,
        reseller_id,
        staged_at,
        event_date
    from requests

)

select * from final
