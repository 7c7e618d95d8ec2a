{#- What changed since a model's last run: the staged rows after its watermark, staging's read-back bound. -#}

{#-
    On Athena and the twin a run looks the changed dates up once, before the model's statement,
    and inlines them as literals (`changed_dates_list`, `event_dates_relation`): Trino inlines a
    CTE wherever it is referenced, so a model that names its changed dates in several places
    would re-read staging and the watermarks each time, billed on Athena, and the twin found
    agg_session_metrics' incremental statement planned into 189 stages, over Trino's default
    limit of 150. Unit tests (no query runs for them) and DuckDB keep the subquery.
-#}

{#- A relation of one `event_date` column holding `dates` (none: no rows). -#}
{% macro event_dates_relation(dates) -%}
    {%- if dates | length == 0 -%}
    select cast(null as date) as event_date where false
    {%- else -%}
    select event_date
    from (
        values
        {%- for value in dates | sort %}
            (date '{{ value }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as changed (event_date)
    {%- endif -%}
{%- endmacro %}

{#-
    The distinct `column` values of the requests staged after this model's watermark (the
    greatest `staged_at` it has taken in). `staged_at` is when a dbt run wrote the row, not
    when the ingest landed it: a file landed late with an older landing time (two ingests at
    once, a file rewritten) is still newer than the watermark here. Unit tests pin the
    watermark with `overrides: vars: {staged_watermark: '...'}`.
-#}
{% macro changed_staged_rows(column) -%}
    select distinct changed.{{ column }}
    from {{ ref('int_requests_staged') }} as changed
    where changed.staged_at > {{ staged_watermark() }}
{%- endmacro %}

{#-
    This model's watermark, as a timestamp expression (unit tests pin it with a var). On
    Athena and the twin a literal: every model's watermark is looked up in ONE query per dbt
    invocation (`run_cached_rows`), so the lookups that follow from it (the changed sessions'
    dates) have the same text in every model and are sent once per run, not once per model
    (each Athena query is billed at least 10 MB). A model's own row only changes in its own
    post-hook, after its statement, so the answer read at the run's first model holds for all.
-#}
{% macro staged_watermark() -%}
    {%- set pinned = var('staged_watermark', none) -%}
    {%- if pinned is not none -%}
        cast('{{ pinned }}' as timestamp)
    {%- elif inlines_lookups() -%}
        {%- set latest = {} -%}
        {%- for row in run_cached_rows(staged_watermarks_sql()) -%}
            {%- do latest.update({row[0]: row[1]}) -%}
        {%- endfor -%}
        {%- set watermark = latest.get(this.identifier) -%}
        {%- if watermark is none -%}
        cast('1970-01-01 00:00:00.000' as timestamp)
        {%- elif watermark is string -%}
        cast('{{ watermark }}' as timestamp)
        {%- else -%}
        cast('{{ watermark.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] }}' as timestamp)
        {%- endif -%}
    {%- else -%}
        coalesce(
            (
                select max(watermarks.staged_watermark)
                from {{ watermarks_relation() }} as watermarks
                where watermarks.model_name = '{{ this.identifier }}'
            ),
            cast('1970-01-01 00:00:00' as timestamp)
        )
    {%- endif -%}
{%- endmacro %}

{#- Every model's watermark: one row per model that has recorded one. -#}
{% macro staged_watermarks_sql() -%}
    select watermarks.model_name, max(watermarks.staged_watermark) as staged_watermark
    from {{ watermarks_relation() }} as watermarks
    group by watermarks.model_name
{%- endmacro %}

{#-
    The rows of `sql`, run once per dbt invocation however many models ask: kept on dbt's flat
    graph, one object for the whole invocation, under the invocation's id (a runner that
    invokes dbt several times in one process never reads an earlier run's answers).
-#}
{% macro run_cached_rows(sql) -%}
    {%- set cache = graph.get('request_analytics_lookups') -%}
    {%- if cache is none or cache.get('invocation_id') != invocation_id -%}
        {%- set cache = {'invocation_id': invocation_id} -%}
        {%- do graph.update({'request_analytics_lookups': cache}) -%}
    {%- endif -%}
    {%- if sql not in cache -%}
        {%- set result = run_query(sql) -%}
        {%- do cache.update({sql: [] if result is none else result.rows | list}) -%}
    {%- endif -%}
    {{ return(cache[sql]) }}
{%- endmacro %}

{#-
    The rows of `relation` (with staged_at) staged after this model's watermark: on Athena
    and the twin the Iceberg files' staged_at bounds let the engine skip every older file.
-#}
{% macro staged_since_watermark(relation) -%}
    select {{ relation }}.*
    from {{ relation }}
    where {{ relation }}.staged_at > {{ staged_watermark() }}
{%- endmacro %}

{#- The first value of the first row of `sql` (none when it returns nothing), run once per invocation. -#}
{% macro cached_query_scalar(sql) -%}
    {%- set rows = run_cached_rows(sql) -%}
    {{ return(rows[0][0] if rows and (rows[0] | length) > 0 else none) }}
{%- endmacro %}

{#- The first value of the first row of `sql`, or none when it returns nothing. -#}
{% macro query_scalar(sql) -%}
    {%- set result = run_query(sql) -%}
    {%- if result is none or (result.columns | length) == 0 or (result.rows | length) == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(result.rows[0][0]) }}
{%- endmacro %}

{#-
    The first ingest_date partition a run of staging reads again, as a scalar subquery over
    `relation`, whose `landed` column holds landing times per `log_group`: the staging
    model's landing marks (`landing_marks_relation`, one row per log group and run: only the
    latest landing of each), or the staged table itself where no mark is recorded yet. The
    partition of the latest landing staged from EACH log group, the earliest of those, less
    `landing_lookback_minutes`.
    - Per log group: the CloudWatch ingest stamps a batch with the end of its window, so a log
      group catching up lands files under dates earlier than another group's latest landing;
      a bound on the overall latest landing would never read them.
    - The lookback: an ingest run names its partition after the time it started, so until it
      ends it may still add files to the partition before the latest; it must cover the
      ingest's longest run.
    - Log groups with nothing landed in the `landing_group_horizon_days` (default 14, as long as
      CloudWatch accepts late events) before the latest landing are ignored, so a log group
      that stopped cannot hold the bound back for ever.
-#}
{% macro landing_partition_since(relation, landed='landed_at') -%}
    {%- set minutes = var('landing_lookback_minutes', 15) -%}
    {%- set horizon = var('landing_group_horizon_days', 14) -%}
    {%- for name, value in [('landing_lookback_minutes', minutes), ('landing_group_horizon_days', horizon)] -%}
        {%- if value is not integer or value < 0 -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number >= 0, got " ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    select cast(cast(min(groups.latest_landed_at) - interval '{{ minutes }}' minute as date) as varchar)
    from (
        select max(landings.{{ landed }}) as latest_landed_at
        from {{ relation }} as landings
        group by landings.log_group
    ) as groups
    where groups.latest_landed_at >= (
        select max(everything.{{ landed }}) - interval '{{ horizon }}' day from {{ relation }} as everything
    )
{%- endmacro %}

{#-
    The sessions with requests staged since this model's last run (its watermark): every
    one of them is recomputed whole, on every engine.
-#}
{% macro changed_sessions() -%}
    {{ changed_staged_rows('session_id') }}
{%- endmacro %}
