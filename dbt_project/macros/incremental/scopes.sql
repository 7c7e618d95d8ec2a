{#-
    Which rows of its upstream an incremental run of a model recomputes. Every macro here
    returns an expression, a value or a subquery; the models name their own CTEs.
-#}

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
    {%- if inlines_lookups() -%}
        {%- set since = cached_query_scalar(since_sql) -%}
        {#- Nothing changed: no date qualifies. -#}
        date '{{ since if since is not none else '9999-12-31' }}'
    {%- else -%}
        ({{ since_sql }})
    {%- endif -%}
{%- endmacro %}

{#-
    Whether lookups are run at compile time and inlined as literals: on Athena and the twin,
    in a real run (unit tests have fixtures, not tables, to look up).
-#}
{% macro inlines_lookups() -%}
    {{ return(execute and target.type in ('athena', 'trino') and model.resource_type != 'unit_test') }}
{%- endmacro %}

{#-
    Every event date with a request of a session that has newly staged requests, where lookups
    are inlined: a list looked up once per run (every model with the same watermark sends the
    same text), so that the models read only those date partitions of their inputs, not the
    whole `session_lookback_days` window before the earliest changed date. Else none.
-#}
{% macro changed_sessions_dates_list() -%}
    {%- if not inlines_lookups() -%}
        {{ return(none) }}
    {%- endif -%}
    {#- The dates of the new requests, and those of the changed sessions' hours already built:
        int_session_hours holds every request staged up to its own watermark, which is never
        behind the asking model's (every model that asks is int_session_hours or downstream of
        it, and dbt skips a model downstream of a failed one), and it is read before its own
        run writes. A session-hour row stands for many requests: far fewer bytes than the
        requests' session_id column over the same week. -#}
    {%- set dates_sql -%}
    select changed.event_date
    from ({{ changed_staged_rows('event_date') }}) as changed
    union
    select session_hours.event_date
    from {{ built_relation('int_session_hours') }} as session_hours
    where
        session_hours.event_date >= {{ changed_sessions_since() }}
        and session_hours.session_id in ({{ changed_sessions() }})
    {%- endset -%}
    {%- set dates = [] -%}
    {%- for row in run_cached_rows(dates_sql) if row[0] is not none -%}
        {%- do dates.append(row[0]) -%}
    {%- endfor -%}
    {{ return(dates | sort) }}
{%- endmacro %}

{#-
    The relation a model of this project is built in, without `ref`: for a lookup that every
    caller runs after that model (it is upstream of them all, or the caller itself), where a
    `ref` would add a dependency edge to models that already depend on it through others.
-#}
{% macro built_relation(name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no model named " ~ name) }}
{%- endmacro %}

{#-
    Whether `column` (an event date) is a date the changed sessions have requests on: in the
    inlined list (`changed_sessions_dates_list`), else on or after their lookup bound.
-#}
{% macro on_changed_sessions_dates(column) -%}
    {%- set dates = changed_sessions_dates_list() -%}
    {%- if dates is none -%}
        {{ column }} >= {{ changed_sessions_since() }}
    {%- elif dates | length == 0 -%}
        false
    {%- else -%}
        {{ column }} in ({% for day in dates %}date '{{ day }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#-
    Whether a row of `relation` (with session_id and event_date) belongs to a session with
    newly staged requests: the run recomputes those sessions whole and merges them in.
-#}
{% macro in_changed_sessions(relation) -%}
    {{ on_changed_sessions_dates(relation ~ '.event_date') }}
    and {{ relation }}.session_id in ({{ changed_sessions() }})
{%- endmacro %}

{#- Every event date of `relation` (a session-day or session-hour fact) with a changed session on it. -#}
{% macro changed_sessions_dates(relation) -%}
    select distinct session_days.event_date
    from {{ relation }} as session_days
    where {{ in_changed_sessions('session_days') }}
{%- endmacro %}

{#-
    The changed event dates of a period aggregate: the dates of newly staged requests, or with
    `session_days` (a relation with session_id and event_date) every date of each session with
    newly staged requests (a late first request gives the session another user on all of its
    days, the `session_user` doc block). A list of dates where lookups are inlined, else none
    (the caller then uses `changed_dates_sql`).
-#}
{% macro changed_dates_list(session_days=none) -%}
    {%- if not inlines_lookups() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if session_days is not none -%}
        {#- Every date of the changed sessions (of any fact of theirs): a superset of the dates
            `session_days` holds for them, and already looked up for this run. -#}
        {{ return(changed_sessions_dates_list()) }}
    {%- endif -%}
    {%- set dates = [] -%}
    {%- for row in run_cached_rows(changed_dates_sql(session_days)) if row[0] is not none -%}
        {%- do dates.append(row[0]) -%}
    {%- endfor -%}
    {{ return(dates) }}
{%- endmacro %}

{#- The subquery of the changed event dates (see `changed_dates_list`). -#}
{% macro changed_dates_sql(session_days=none) -%}
    {%- if session_days is none -%}
        {{ changed_staged_rows('event_date') }}
    {%- else -%}
        {{ changed_sessions_dates(session_days) }}
    {%- endif -%}
{%- endmacro %}

{#- The changed event dates as a relation: `dates` inlined as literals, or the subquery. -#}
{% macro changed_dates_relation(dates, session_days=none) -%}
    {%- if dates is none -%}
        {{ changed_dates_sql(session_days) }}
    {%- else -%}
        {{ event_dates_relation(dates) }}
    {%- endif -%}
{%- endmacro %}

{#-
    The first date of the earliest period of `grains` that contains a changed event date: a
    period aggregate reads its upstream from there, so each touched period is recomputed
    from all of its rows. A literal from `dates` where lookups are inlined (no changed date:
    a date no row has), else a subquery over `dates_relation`.
-#}
{% macro touched_periods_start(dates, dates_relation, grains) -%}
    {%- set units = [] -%}
    {%- for grain in grains -%}
        {%- if grain_date_unit(grain) not in units -%}{%- do units.append(grain_date_unit(grain)) -%}{%- endif -%}
    {%- endfor -%}
    {%- if dates is not none -%}
        date '{{ earliest_period_start(dates | min, units) if dates else '9999-12-31' }}'
    {%- else -%}
        (
            select cast(
                {%- if units | length > 1 %} least({% endif -%}
                {%- for unit in units -%}
                    {{ period_start(unit, 'min(' ~ dates_relation ~ '.event_date)') }}{{ ', ' if not loop.last }}
                {%- endfor -%}
                {%- if units | length > 1 %}){% endif %} as date)
            from {{ dates_relation }}
        )
    {%- endif -%}
{%- endmacro %}

{#- The first day of the earliest period of `units` (day, week, month) containing `day` (a date). -#}
{% macro earliest_period_start(day, units) -%}
    {%- set starts = [day] -%}
    {%- if 'week' in units -%}{%- do starts.append(day - modules.datetime.timedelta(days=day.weekday())) -%}{%- endif -%}
    {%- if 'month' in units -%}{%- do starts.append(day.replace(day=1)) -%}{%- endif -%}
    {{ return((starts | min).isoformat()) }}
{%- endmacro %}

{#-
    Whether a row of `relation` (with grain and period_start) is in a period of `grains` that
    contains a date of `dates_relation`: one lookup of the dates for every grain at once, since
    Athena's engine inlines a CTE wherever it is named and a lookup per grain multiplies the
    statement's stages.
-#}
{% macro touched_periods_condition(relation, grains, dates_relation) -%}
    exists (
        select 1
        from {{ dates_relation }}
        cross join (
            values {% for grain in grains %}('{{ grain }}'){{ ', ' if not loop.last }}{% endfor %}
        ) as grains (grain)
        where
            grains.grain = {{ relation }}.grain
            and case grains.grain
                {%- for grain in grains %}
                when '{{ grain }}' then {{ period_start(grain_date_unit(grain), dates_relation ~ '.event_date') }}
                {%- endfor %}
            end = case {{ relation }}.grain
                {%- for grain in grains %}
                when '{{ grain }}' then {{ period_start(grain_date_unit(grain), relation ~ '.period_start') }}
                {%- endfor %}
            end
    )
{%- endmacro %}

{#-
    A model's output on an incremental run: `columns` of the run's `rows` (a CTE), and a
    tombstone for each stored row that `condition` (on `previous`, the stored table) selects
    and whose key `keys` the run no longer produces: the stored row's columns with `requests`
    0 (the models' `deleted_when`), which the one MERGE deletes with the rest of the run's
    changes. One full outer join, so `rows` is named once: Athena's engine inlines a CTE
    wherever it is named, and a second reference (an anti-join beside a union) computed the
    whole model twice, every byte of it billed twice. On a full build: `rows` as is.
-#}
{% macro with_tombstones(rows, keys, condition, columns) -%}
    {%- if is_incremental() %}
    select
        {%- for column in columns %}
        case when kept.{{ keys[0] }} is not null then kept.{{ column }} else
            {{- ' 0' if column == 'requests' else ' previous.' ~ column }} end as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ rows }} as kept
    full outer join (
        select previous.*
        from {{ this }} as previous
        where {{ condition }}
    ) as previous
        on
            {%- for key in keys %}
            kept.{{ key }} = previous.{{ key }}{{ ' and' if not loop.last }}
            {%- endfor %}
    {%- else %}
    select {{ columns | join(', ') }}
    from {{ rows }}
    {%- endif %}
{%- endmacro %}
