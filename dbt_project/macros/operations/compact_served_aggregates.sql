{#-
    `dbt run-operation compact_served_aggregates`: every build runs it after `dbt build` and
    before it publishes the serving pointer (dbt_runner/build.py, `python -m twin build`). Each
    incremental MERGE adds a data file and a position-delete file to every bucket it touches
    (Iceberg merge-on-read); a version published with them makes a new API container read them
    all. This compacts the aggregates' buckets that can hold a period of the last
    `compact_days` days (default 2: today and the late events' day, what an hourly run
    touches), so a published bucket is one file (docs/adr/0010-aggregate-period-buckets.md).
    Athena bills the bytes the rewrite reads: the current buckets of each class, a year of
    the non-user day/week/month rows at most (docs/serving.md has the estimate).
    DuckDB writes no files per MERGE: nothing to do.
-#}
{% macro compact_served_aggregates() -%}
    {%- if execute -%}
        {%- set days = var('compact_days', 2) -%}
        {%- if days is not integer or days < 1 -%}
            {{ exceptions.raise_compiler_error("var compact_days must be a whole number >= 1, got " ~ days) }}
        {%- endif -%}
        {%- set since = (run_started_at - modules.datetime.timedelta(days=days)).strftime('%Y-%m-%d') -%}
        {%- set compacted = [] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and (node.config.get('partition_columns') or [none])[-1] == 'period_bucket' -%}
            {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if relation is not none -%}
                {%- for statement in compaction_statements(relation, 'period_bucket', since) -%}
                    {%- do run_query(statement) -%}
                {%- endfor -%}
                {%- do compacted.append(relation.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
        {{ log('compact_served_aggregates: ' ~ (compacted | length) ~ ' table(s) on ' ~ target.type ~ ' since ' ~ since ~ ': ' ~ compacted | join(', '), info=true) }}
    {%- endif -%}
{%- endmacro %}
