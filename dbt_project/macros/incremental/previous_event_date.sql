{#- previous_event_date of session-day rows: the previous active day of the same keys. -#}

{#-
    The rows of `relation` (whole sessions, with session_id and event_date) with
    previous_event_date: the previous event_date of the same `keys` (null on the first).
-#}
{% macro with_previous_event_date(relation, keys) -%}
    {{ return(adapter.dispatch('with_previous_event_date', 'request_analytics')(relation, keys)) }}
{%- endmacro %}

{#-
    DuckDB: most sessions are active on one day, where the answer is null; only the rows of
    sessions active on several days go through the window (a sort of every row otherwise).
-#}
{% macro default__with_previous_event_date(relation, keys) -%}
    with

    spanning_sessions as (

        select session_id
        from {{ relation }}
        group by session_id
        having min(event_date) < max(event_date)

    ),

    one_day as (

        select
            {{ relation }}.*,
            cast(null as date) as previous_event_date
        from {{ relation }}
        where not exists (
            select 1 from spanning_sessions
            where spanning_sessions.session_id = {{ relation }}.session_id
        )

    ),

    several_days as (

        select
            {{ relation }}.*,
            lag({{ relation }}.event_date) over (
                partition by {{ keys | join(', ') }} order by {{ relation }}.event_date
            ) as previous_event_date
        from {{ relation }}
        where exists (
            select 1 from spanning_sessions
            where spanning_sessions.session_id = {{ relation }}.session_id
        )

    ),

    final as (

        select * from one_day
        union all
        select * from several_days

    )

    select * from final
{%- endmacro %}

{#- Athena: one window (each extra read of the relation would be billed). -#}
{% macro athena__with_previous_event_date(relation, keys) -%}
    select
        *,
        lag(event_date) over (partition by {{ keys | join(', ') }} order by event_date) as previous_event_date
    from {{ relation }}
{%- endmacro %}

{% macro trino__with_previous_event_date(relation, keys) -%}
    {{ return(athena__with_previous_event_date(relation, keys)) }}
{%- endmacro %}
