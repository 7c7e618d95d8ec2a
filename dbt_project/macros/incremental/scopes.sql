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
    The first event date an incremental run reads of the changed sessions: the earliest date
    with newly staged requests, less `session_lookback_days` (default 7). A session's requests
    all lie within that many days of each other (fct_sessions tests it), so every row of a
    changed session is on or after this date, and a lookup of sessions by id reads only the
    date partitions since, not the whole history. On Athena and the twin the date is looked
    up once and inlined as a literal, so the engine prunes partitions before reading.
-#}
{% macro changed_sessions_since() -%}
    {%- set days = var('session_lookback_days', 7) -%}
    {%- if days is not integer or days < 1 -%}
        {{ exceptions.raise_compiler_error("var session_lookback_days must be a whole number >= 1, got " ~ days) }}
    {%- endif -%}
    {%- set since_sql -%}
    select cast(min(changed.event_date) - interval '{{ days }}' day as date)
    from ({{ changed_staged_rows('event_date') }}) as changed
    {%- endset -%}
    {%- if execute and target.type in ('athena', 'trino') and model.resource_type != 'unit_test' -%}
        {%- set since = query_scalar(since_sql) -%}
        {#- Nothing changed: no date qualifies. -#}
        date '{{ since if since is not none else '9999-12-31' }}'
    {%- else -%}
        ({{ since_sql }})
    {%- endif -%}
{%- endmacro %}

{#-
    The CTEs every session-grain model starts from: `scoped` is `upstream` (a CTE with
    session_id and event_date) restricted, on incremental runs, to every row of each session
    with newly staged requests (on the dates a changed session can have, see
    `changed_sessions_since`): the run recomputes those sessions whole and merges them in.
-#}
{% macro scope_to_changed(upstream) -%}
    {%- if is_incremental() %}
changed_sessions as (

    {{ changed_sessions() }}

),

scoped as (

    select {{ upstream }}.*
    from {{ upstream }}
    where
        {{ upstream }}.event_date >= {{ changed_sessions_since() }}
        and {{ upstream }}.session_id in (select changed_sessions.session_id from changed_sessions)

),
    {%- else %}
{{ scope_to_every_row(upstream) }}
    {%- endif %}
{%- endmacro %}

{#-
    The CTEs of a model summing a session-day fact into whole event dates: `scoped` is
    `upstream` (with session_id and event_date) on every date of each session with newly
    staged requests since this model's last run. Those are the only rows that can have
    changed: new requests, a new previous_event_date after a late one, or a new user.
    The dates are looked up in `relation` (the model `upstream` imports) rather than in the
    CTE (DuckDB buffers a CTE read twice whole), and inlined on Athena and the twin.
-#}
{% macro scope_to_changed_sessions_days(upstream, relation) -%}
    {%- if is_incremental() %}
rewritten_dates as (

    {{ inlined_event_dates(changed_sessions_dates(relation)) }}

),

{{ scope_to_dates(upstream, 'rewritten_dates') }}
    {%- else %}
{{ scope_to_every_row(upstream) }}
    {%- endif %}
{%- endmacro %}

{#- Every event date of `relation` (a session-day or session-hour fact) with a changed session on it. -#}
{% macro changed_sessions_dates(relation) -%}
    select distinct session_days.event_date
    from {{ relation }} as session_days
    where
        session_days.event_date >= {{ changed_sessions_since() }}
        and session_days.session_id in ({{ changed_sessions() }})
{%- endmacro %}

{#-
    A model's stored rows that `condition` (on `previous`, the stored table) selects and whose
    key `keys` the run's `new_rows` (a CTE) no longer holds: what the run must delete. The
    caller writes them out as tombstones (its `deleted_when` rows), so the one MERGE deletes
    them with the rest of the run's changes.
-#}
{% macro vanished_rows(new_rows, keys, condition) -%}
    select previous.*
    from {{ this }} as previous
    where
        ({{ condition }})
        and not exists (
            select 1
            from {{ new_rows }} as kept
            where
                {%- for key in keys %}
                kept.{{ key }} = previous.{{ key }}{{ ' and' if not loop.last }}
                {%- endfor %}
        )
{%- endmacro %}
