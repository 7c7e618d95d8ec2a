{#-
    Data tests on Athena (and the twin, which runs Athena's SQL) read only recent partitions:
    each test of a model reads the rows whose date partition column (the last `partitioned_by`
    key, or `event_date` for the views over staging; for the aggregates, whose last key is a
    bucket of periods, their `period_date` within the buckets that can hold it) is on or after
    `data_test_since()`, a date
    literal, so Athena prunes the partitions instead of scanning the history every day. The
    source's tests read the raw partitions (`ingest_date`) from the same date.
    `--vars '{data_test_days: 0}'` runs the full check (weekly; see docs/dbt.md). DuckDB always
    runs the full check: it reads local files and bills nothing.
    A test's own `where` config still applies, and `requests_match_source` scopes itself.
-#}
{% macro athena__get_where_subquery(relation) -%}
    {{ return(recent_where_subquery(relation)) }}
{%- endmacro %}

{% macro trino__get_where_subquery(relation) -%}
    {{ return(recent_where_subquery(relation)) }}
{%- endmacro %}

{#- The first date data tests read on Athena: `data_test_days` (default 7) before the run; none for all. -#}
{% macro data_test_since(extra_days=0) -%}
    {%- set days = var('data_test_days', 7) -%}
    {%- if days is not integer or days < 0 -%}
        {{ exceptions.raise_compiler_error("var data_test_days must be a whole number of days >= 0, got " ~ days) }}
    {%- endif -%}
    {%- if days == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return((run_started_at - modules.datetime.timedelta(days=days + extra_days)).strftime('%Y-%m-%d')) }}
{%- endmacro %}

{#- The filter on the date partition of the relation the current test is attached to, or none. -#}
{% macro recent_partition_filter(since) -%}
    {%- set attached = model.get('attached_node') -%}
    {%- if attached and attached in graph.nodes -%}
        {%- set node = graph.nodes[attached] -%}
        {%- set keys = node.config.get('partition_columns') -%}
        {%- set keys = [keys] if keys is string else keys -%}
        {%- if keys and keys[-1] == 'period_bucket' -%}
            {#- The aggregates: a bucket holds a day, month or year of periods (period_bucket_classes). -#}
            {{ return(recent_periods_filter(since)) }}
        {%- elif keys -%}
            {{ return(keys[-1] ~ " >= date '" ~ since ~ "'") }}
        {%- elif 'event_date' in node.columns -%}
            {{ return("event_date >= date '" ~ since ~ "'") }}
        {%- endif -%}
    {%- elif model.get('sources') -%}
        {#- The raw table: its partitions are landing dates, as text. -#}
        {{ return("ingest_date >= '" ~ since ~ "'") }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro recent_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do filters.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set since = data_test_since() -%}
    {%- set test_name = (model.get('test_metadata') or {}).get('name') -%}
    {%- if since is not none and test_name != 'requests_match_source' -%}
        {%- set recent = recent_partition_filter(since) -%}
        {%- if recent -%}{%- do filters.append(recent) -%}{%- endif -%}
    {%- endif -%}
    {%- if filters -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ filters | join(' and ') ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
