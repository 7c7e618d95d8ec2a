{#-
    How every incremental model is stored, in one place:
    - DuckDB: `replace_partitions` (below) on `unique_key` (the partition column unless told otherwise):
      each run deletes the partitions (or entities) it produced and inserts them whole.
    - Athena: Hive Parquet tables, `insert_overwrite` of the `partition_by` partitions the run
      produced. dbt-athena batches the write when a run touches more than 100 partitions
      (Athena's limit per statement); `force_batch` makes it batch from the start on backfills.
    - Trino (the AWS twin, Athena's engine): the same Hive Parquet tables, partitioned the same
      way. dbt-trino has no `insert_overwrite`, so `overwrite_partitions` (below) does what
      dbt-athena's does: the new rows go to a temporary table, the partitions they hold are
      deleted, then the rows are inserted. (Trino's own `insert_existing_partitions_behavior =
      OVERWRITE` cannot be used here: it clears the whole partition folder, and the file
      metastore standing in for Glue keeps each partition's metadata in that folder.)
    Models always produce WHOLE partitions, so every strategy ends in the same rows.
    A model whose columns drift fails on DuckDB; on Athena and Trino new columns are appended
    (Glue keeps the old partitions' schema), the only other setting dbt allows with enforced
    contracts. `post_hook` adds the model's own hooks after the shared ones.
-#}
{% macro incremental_settings(partition_by, unique_key=none, watermark=true, post_hook=[]) -%}
    {%- set partitions = partition_by if partition_by is not string else [partition_by] -%}
    {%- set settings = {'materialized': 'incremental', 'on_schema_change': 'fail'} -%}
    {%- set hooks = [] -%}
    {%- if target.type == 'athena' -%}
        {%- do settings.update({
            'incremental_strategy': 'insert_overwrite',
            'table_type': 'hive',
            'format': 'parquet',
            'partitioned_by': partitions,
            'force_batch': var('athena_force_batch', false),
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- elif target.type == 'trino' -%}
        {%- do settings.update({
            'incremental_strategy': 'overwrite_partitions',
            'unique_key': partitions,
            'views_enabled': false,
            'properties': {
                'format': "'PARQUET'",
                'partitioned_by': "array[" ~ (partitions | map('tojson') | join(', ') | replace('"', "'")) ~ "]",
            },
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- else -%}
        {%- do settings.update({
            'incremental_strategy': 'replace_partitions',
            'unique_key': unique_key or partition_by,
        }) -%}
    {%- endif -%}
    {%- if watermark -%}
        {%- do hooks.append("{{ record_staged_watermark() }}") -%}
    {%- endif -%}
    {%- do settings.update({'post_hook': hooks + post_hook}) -%}
    {{ return(settings) }}
{%- endmacro %}

{#- The table where each incremental model records how far into the staged requests it has got. -#}
{% macro watermarks_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='dbt_staged_watermarks')) }}
{%- endmacro %}

{% macro create_incremental_watermarks() -%}
    {{ return(adapter.dispatch('create_incremental_watermarks', 'request_analytics')()) }}
{%- endmacro %}

{% macro default__create_incremental_watermarks() -%}
    create table if not exists {{ watermarks_relation() }} (
        model_name varchar,
        staged_watermark timestamp,
        recorded_at timestamp
    )
{%- endmacro %}

{#- Trino: the default `create table if not exists` (a managed table of the file metastore). -#}
{% macro athena__create_incremental_watermarks() -%}
    {%- set relation = watermarks_relation() -%}
    {%- if execute and adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        create table {{ relation }}
        with (
            format = 'PARQUET',
            external_location = '{{ target.s3_data_dir.rstrip("/") }}/{{ relation.schema }}/{{ relation.identifier }}/'
        ) as
        select
            cast(null as varchar) as model_name,
            cast(null as timestamp) as staged_watermark,
            cast(null as timestamp) as recorded_at
        where false
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#-
    `staged_at` of the rows staging writes in this run: when the dbt run started (UTC, to the
    millisecond, as both engines store it). Runs never overlap, so a later run's rows are
    always newer than anything a model has already taken in.
-#}
{% macro staged_at_literal() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] }}' as timestamp)
{%- endmacro %}

{#-
    Post-hook of every incremental model below staging: it has now taken in every row staged
    so far, so its watermark is this run's `staged_at` (no row can be staged later with an
    earlier one), written without reading staging (on Athena a read of the column over all
    history is billed, per model and per run). It only runs when the model succeeded, so a
    failed or skipped model picks the missed rows up on its next run.
-#}
{% macro record_staged_watermark() -%}
    {#- Declares the dependency on staging, which `changed_staged_rows` reads on incremental
        runs only (dbt infers dependencies from a full build's SQL). -#}
    {%- do ref('stg_lake__request_events') -%}
    insert into {{ watermarks_relation() }} (model_name, staged_watermark, recorded_at)
    select
        '{{ this.identifier }}' as model_name,
        {{ staged_at_literal() }} as staged_watermark,
        cast(current_timestamp as timestamp) as recorded_at
{%- endmacro %}

{#-
    The UTC event dates whose requests changed since this model's last run: the dates of the
    requests staged after its watermark.
-#}
{#-
    On Athena and the twin a run looks the dates up once, before the model's statement, and
    inlines them as literals: Trino inlines a CTE wherever it is referenced, so a model that
    names `changed_dates` in several places (one per grain) would re-read staging and the
    watermarks each time, billed on Athena, and the twin found agg_session_metrics' incremental
    statement planned into 189 stages, over Trino's default limit of 150. Unit tests (no query
    runs for them) and DuckDB keep the subquery.
-#}
{% macro changed_event_dates() -%}
    {%- if execute and target.type in ('athena', 'trino') and model.resource_type != 'unit_test' -%}
        {%- set result = run_query(changed_staged_rows('event_date')) -%}
        {%- set dates = [] -%}
        {%- for row in result.rows if row[0] is not none -%}{%- do dates.append(row[0]) -%}{%- endfor -%}
        {{ event_dates_relation(dates) }}
    {%- else -%}
        {{ changed_staged_rows('event_date') }}
    {%- endif -%}
{%- endmacro %}

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
    {%- set pinned = var('staged_watermark', none) -%}
    select distinct changed.{{ column }}
    from {{ ref('stg_lake__request_events') }} as changed
    where changed.staged_at > {% if pinned is not none -%}
        cast('{{ pinned }}' as timestamp)
    {%- else -%}
        coalesce(
            (
                select max(watermarks.staged_watermark)
                from {{ watermarks_relation() }} as watermarks
                where watermarks.model_name = '{{ this.identifier }}'
            ),
            cast('1970-01-01 00:00:00' as timestamp)
        )
    {%- endif %}
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
    The first ingest_date partition an Athena (or twin) run of staging reads again, as a scalar
    subquery over `relation` (the staged table): the partition of the latest landing staged
    from EACH log group, the earliest of those, less `landing_lookback_minutes`.
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
{% macro landing_partition_since(relation) -%}
    {%- set minutes = var('landing_lookback_minutes', 15) -%}
    {%- set horizon = var('landing_group_horizon_days', 14) -%}
    {%- for name, value in [('landing_lookback_minutes', minutes), ('landing_group_horizon_days', horizon)] -%}
        {%- if value is not integer or value < 0 -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number >= 0, got " ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    select cast(cast(min(groups.latest_landed_at) - interval '{{ minutes }}' minute as date) as varchar)
    from (
        select max(landings.landed_at) as latest_landed_at
        from {{ relation }} as landings
        group by landings.log_group
    ) as groups
    where groups.latest_landed_at >= (
        select max(everything.landed_at) - interval '{{ horizon }}' day from {{ relation }} as everything
    )
{%- endmacro %}

{#-
    Whether incremental runs rewrite WHOLE partitions (Athena's insert_overwrite, Trino's
    partition overwrite) rather than only the rows of the requests or sessions that changed
    (DuckDB's delete + insert on the model's unique_key). Unit tests run on DuckDB and pin
    `whole_partitions: true` to check the Athena logic too; on the twin they run it as it is.
-#}
{% macro rewrites_whole_partitions() -%}
    {{ return(target.type in ('athena', 'trino') or var('whole_partitions', false)) }}
{%- endmacro %}

{#-
    The sessions with requests staged since this model's last run (its watermark): every
    one of them is recomputed whole on DuckDB.
-#}
{% macro changed_sessions() -%}
    {{ changed_staged_rows('session_id') }}
{%- endmacro %}

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
    DuckDB's partition overwrite (`incremental_strategy='replace_partitions'`): delete every
    target row whose `unique_key` value(s) occur in the new rows, then insert the new rows.
    dbt's `delete+insert` joins target and new rows on the key, which for a partition key
    (thousands of rows on each side per value) multiplies out; a semi-join on the distinct
    key values does not.
-#}
{% macro get_incremental_replace_partitions_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as existing
    where exists (
        select 1
        from (select distinct {{ keys | join(', ') }} from {{ source }}) as replaced
        where
            {%- for key in keys %}
            replaced.{{ key }} = existing.{{ key }}{{ ' and' if not loop.last }}
            {%- endfor %}
    );

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}

{#-
    Trino's partition overwrite (`incremental_strategy='overwrite_partitions'`, `unique_key` =
    the partition columns): delete every partition the new rows hold, then insert the rows.
    A Hive table that is not transactional only deletes whole partitions, by a predicate on
    its partition columns that Trino can evaluate exactly: one statement per value of the
    leading columns, with the last column's values listed (e.g. one per grain and level,
    listing the period dates).
-#}
{% macro get_incremental_overwrite_partitions_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set groups = {} -%}
    {%- if execute -%}
        {%- set partitions = run_query('select distinct ' ~ keys | join(', ') ~ ' from ' ~ source) -%}
        {%- for row in partitions.rows -%}
            {%- set leading = [] -%}
            {%- for value in row[:-1] -%}{%- do leading.append(partition_literal(value)) -%}{%- endfor -%}
            {%- set group_key = leading | join('\x1f') -%}
            {%- if group_key not in groups -%}{%- do groups.update({group_key: {'leading': leading, 'last': []}}) -%}{%- endif -%}
            {%- do groups[group_key]['last'].append(partition_literal(row[-1])) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for group in groups.values() %}
    delete from {{ target }}
    where
        {%- for value in group['leading'] %}
        {{ keys[loop.index0] }} = {{ value }} and
        {%- endfor %}
        {{ keys[-1] }} in ({{ group['last'] | join(', ') }});
    {%- endfor %}

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}

{#- A partition value read back by run_query, as a SQL literal of its type. -#}
{% macro partition_literal(value) -%}
    {%- if value is none -%}
        {{ exceptions.raise_compiler_error('a partition column is null: partitions must have a value') }}
    {%- elif value is string -%}
        '{{ value | replace("'", "''") }}'
    {%- elif value is number -%}
        {{ value }}
    {%- elif value.hour is defined -%}
        timestamp '{{ value.isoformat(sep=" ") }}'
    {%- else -%}
        date '{{ value.isoformat() }}'
    {%- endif -%}
{%- endmacro %}

{#-
    The physical row order of a mart, written after the model's final `select`. On DuckDB
    the rows are stored in this order, so each row group's min/max (zonemap) covers a narrow
    range of the API's filter columns (level, tenant keys, dates) and DuckDB skips the other
    row groups. Athena gets nothing: its CTAS/INSERT writers do not keep an ORDER BY, and
    its pruning comes from the `partitioned_by` directories instead.
-#}
{% macro storage_order(columns) -%}
    {{ return(adapter.dispatch('storage_order', 'request_analytics')(columns)) }}
{%- endmacro %}

{% macro default__storage_order(columns) -%}
    order by {{ columns | join(', ') }}
{%- endmacro %}

{% macro athena__storage_order(columns) -%}
{%- endmacro %}

{% macro trino__storage_order(columns) -%}
    {{ return(athena__storage_order(columns)) }}
{%- endmacro %}

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

{#-
    The CTEs that end in `with_previous`: the rows of `rows` (a session-day CTE) with
    previous_event_date, the previous event_date of the same `keys` (session_id first).
    A full build or DuckDB's rewrite holds whole sessions, so a window over `rows` sees every
    day of each. Athena's rewrite holds whole dates only, so the previous day is looked up in
    `history` (the fact's upstream) over the rewritten sessions' whole history.
-#}
{% macro previous_event_date_ctes(rows, history, keys) -%}
    {%- if is_incremental() and rewrites_whole_partitions() %}
{{ rows }}_dates as (

    select distinct
        {%- for key in keys %}
        {{ history }}.{{ key }},
        {%- endfor %}
        {{ history }}.event_date
    from {{ history }}
    where {{ history }}.session_id in (select {{ rows }}.session_id from {{ rows }})

),

previous_dates as (

    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        event_date,
        lag(event_date) over (partition by {{ keys | join(', ') }} order by event_date) as previous_event_date
    from {{ rows }}_dates

),

with_previous as (

    select
        {{ rows }}.*,
        previous_dates.previous_event_date
    from {{ rows }}
    inner join previous_dates
        on
            {%- for key in keys %}
            {{ rows }}.{{ key }} is not distinct from previous_dates.{{ key }} and
            {%- endfor %}
            {{ rows }}.event_date = previous_dates.event_date

),
    {%- else %}
with_previous as (

    {{ with_previous_event_date(rows, keys) }}

),
    {%- endif %}
{%- endmacro %}
