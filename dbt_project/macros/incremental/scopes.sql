{#- The `scoped` CTEs: which rows of its upstream an incremental run of a model recomputes. -#}

{#- A full build's `scoped` CTE: every row of `upstream`, for the scope macros below. -#}
{% macro scope_to_every_row(upstream) -%}
scoped as (

    select * from {{ upstream }}

),
{%- endmacro %}

{#- The `scoped` CTE of an incremental run: the rows of `upstream` on the event dates of `dates`. -#}
{% macro scope_to_dates(upstream, dates) -%}
scoped as (

    select {{ upstream }}.*
    from {{ upstream }}
    inner join {{ dates }} on {{ upstream }}.event_date = {{ dates }}.event_date

),
{%- endmacro %}

{#-
    The CTEs every session-grain model starts from: `scoped` is `upstream` (a CTE with
    session_id and event_date) restricted, on incremental runs, to what the run rewrites:
    - DuckDB: every row of each session with newly staged requests, whatever its dates
      (the model's unique_key is session_id), so a run reads and writes what changed;
    - Athena: every row of each changed event date (insert_overwrite of those partitions).
-#}
{% macro scope_to_changed(upstream) -%}
    {%- if is_incremental() and rewrites_whole_partitions() %}
changed_dates as (

    {{ changed_event_dates() }}

),

{{ scope_to_dates(upstream, 'changed_dates') }}
    {%- elif is_incremental() %}
changed_sessions as (

    {{ changed_sessions() }}

),

scoped as (

    select {{ upstream }}.*
    from {{ upstream }}
    where {{ upstream }}.session_id in (select changed_sessions.session_id from changed_sessions)

),
    {%- else %}
{{ scope_to_every_row(upstream) }}
    {%- endif %}
{%- endmacro %}

{#-
    Athena's scope of a session-day fact: `scoped` is `upstream` (with session_id and
    event_date) on every changed event date and on every other date of the sessions active on
    a changed one, since a late request can give a later day of its session a new
    previous_event_date.
-#}
{% macro scope_to_changed_sessions_dates(upstream) -%}
changed_dates as (

    {{ changed_event_dates() }}

),

changed_sessions as (

    select distinct {{ upstream }}.session_id
    from {{ upstream }}
    inner join changed_dates on {{ upstream }}.event_date = changed_dates.event_date

),

rewritten_dates as (

    select distinct {{ upstream }}.event_date
    from {{ upstream }}
    inner join changed_sessions on {{ upstream }}.session_id = changed_sessions.session_id

),

{{ scope_to_dates(upstream, 'rewritten_dates') }}
{%- endmacro %}

{#-
    The CTEs of a model summing a session-day fact into whole event dates: `scoped` is
    `upstream` (with session_id and event_date) on every date of each session with newly
    staged requests since this model's last run. Those are the only rows that can have
    changed: new requests, or a new previous_event_date after a late one.
    The dates are looked up in `relation` (the model `upstream` imports) rather than in the
    CTE: DuckDB buffers a CTE read twice whole, every row of the fact on every run.
-#}
{% macro scope_to_changed_sessions_days(upstream, relation) -%}
    {%- if is_incremental() %}
changed_sessions as (

    {{ changed_sessions() }}

),

rewritten_dates as (

    select distinct session_days.event_date
    from {{ relation }} as session_days
    where session_days.session_id in (select changed_sessions.session_id from changed_sessions)

),

{{ scope_to_dates(upstream, 'rewritten_dates') }}
    {%- else %}
{{ scope_to_every_row(upstream) }}
    {%- endif %}
{%- endmacro %}

{#-
    The scope of a session-day fact: on Athena's incremental runs the changed dates and the
    other dates of their sessions (`scope_to_changed_sessions_dates`), else `scope_to_changed`.
-#}
{% macro scope_session_days(upstream) -%}
    {%- if is_incremental() and rewrites_whole_partitions() -%}
        {{ scope_to_changed_sessions_dates(upstream) }}
    {%- else -%}
        {{ scope_to_changed(upstream) }}
    {%- endif -%}
{%- endmacro %}
