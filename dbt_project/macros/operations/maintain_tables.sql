{#-
    `dbt run-operation maintain_tables`: compaction and snapshot expiry of every incremental
    model's Iceberg table (ADR 0009), run by the daily build after it succeeds. Each hourly MERGE
    adds data files and position-delete files; left alone they slow every read down.
    - Compaction rewrites only the partitions of the last `maintain_days` days (default 14):
      the hourly merges touch recent partitions, and on Athena a rewrite is billed. For the
      aggregates, the buckets holding periods of those days (`compaction_statements`); every
      build also compacts their recent buckets before it publishes (compact_served_aggregates).
    - Snapshots older than `snapshot_retention_days` (default 7) are expired and their
      unreferenced files deleted: a reader pinned to a published version (issue 14) has that
      long to move on.
    First, the superseded rows of the state tables (the watermarks, one per model and run; the
    landing marks, one per log group and run) are deleted.
    DuckDB keeps no file per write: it needs nothing more.
-#}
{% macro maintain_tables() -%}
    {%- if execute -%}
        {%- set days = var('maintain_days', 14) -%}
        {%- set retention = var('snapshot_retention_days', 7) -%}
        {%- for name, value in [('maintain_days', days), ('snapshot_retention_days', retention)] -%}
            {%- if value is not integer or value < 1 -%}
                {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a whole number >= 1, got " ~ value) }}
            {%- endif -%}
        {%- endfor -%}
        {%- set since = (run_started_at - modules.datetime.timedelta(days=days)).strftime('%Y-%m-%d') -%}
        {%- set maintained = [] -%}
        {%- do run_query(prune_state_table(watermarks_relation(), 'model_name', 'staged_watermark')) -%}
        {%- do run_query(prune_state_table(landing_marks_relation(), 'log_group', 'latest_landed_at')) -%}
        {%- set tables = [(watermarks_relation(), none), (landing_marks_relation(), none)] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
            {%- do tables.append((
                api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias),
                (node.config.get('partition_columns') or [none])[-1],
            )) -%}
        {%- endfor -%}
        {%- for table, partition in tables -%}
            {%- set relation = adapter.get_relation(table.database, table.schema, table.identifier) -%}
            {%- if relation is not none -%}
                {%- for statement in maintenance_statements(relation, partition, since, retention) -%}
                    {%- do run_query(statement) -%}
                {%- endfor -%}
                {%- do maintained.append(relation.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
        {{ log('maintain_tables: ' ~ (maintained | length) ~ ' table(s) on ' ~ target.type ~ ': ' ~ maintained | join(', '), info=true) }}
    {%- endif -%}
{%- endmacro %}

{#- The statements that compact `relation`'s partitions since `since` and expire old snapshots. -#}
{% macro maintenance_statements(relation, partition, since, retention) -%}
    {{ return(adapter.dispatch('maintenance_statements', 'request_analytics')(relation, partition, since, retention)) }}
{%- endmacro %}

{% macro default__maintenance_statements(relation, partition, since, retention) -%}
    {{ return([]) }}
{%- endmacro %}

{#- Athena: VACUUM expires snapshots older than the table's vacuum_max_snapshot_age_seconds. -#}
{% macro athena__maintenance_statements(relation, partition, since, retention) -%}
    {{ return(
        ['alter table ' ~ relation.render_hive() ~ " set tblproperties ('vacuum_max_snapshot_age_seconds'='" ~ retention * 86400 ~ "')"]
        + compaction_statements(relation, partition, since)
        + ['vacuum ' ~ relation]
    ) }}
{%- endmacro %}

{% macro trino__maintenance_statements(relation, partition, since, retention) -%}
    {{ return(
        compaction_statements(relation, partition, since)
        + [
            'alter table ' ~ relation ~ " execute expire_snapshots(retention_threshold => '" ~ retention ~ "d')",
            'alter table ' ~ relation ~ " execute remove_orphan_files(retention_threshold => '" ~ retention ~ "d')",
        ]
    ) }}
{%- endmacro %}

{#-
    The statements that compact `relation`'s partitions holding data of `since` or later, by its
    last partition column `partition` (none: the whole table): a date partition from `since`;
    the aggregates' `period_bucket`, every bucket that can hold a period from `since` (one
    statement per bucket class, `recent_bucket_predicates`). Trino's `optimize` then rewrites
    the table's manifests (`optimize_manifests`): each commit adds its own, and a cold reader
    fetches every manifest its filter cannot skip. Athena has no such statement.
-#}
{% macro compaction_statements(relation, partition, since) -%}
    {{ return(adapter.dispatch('compaction_statements', 'request_analytics')(relation, partition, since)) }}
{%- endmacro %}

{% macro default__compaction_statements(relation, partition, since) -%}
    {{ return([]) }}
{%- endmacro %}

{% macro compaction_predicates(partition, since) -%}
    {%- if partition == 'period_bucket' -%}
        {{ return(recent_bucket_predicates(since)) }}
    {%- elif partition -%}
        {{ return([partition ~ " >= date '" ~ since ~ "'"]) }}
    {%- endif -%}
    {{ return([none]) }}
{%- endmacro %}

{#- One statement per predicate, `head` the engine's compaction command. -#}
{% macro optimize_statements(head, partition, since) -%}
    {%- set statements = [] -%}
    {%- for predicate in compaction_predicates(partition, since) -%}
        {%- do statements.append(head ~ (' where ' ~ predicate if predicate else '')) -%}
    {%- endfor -%}
    {{ return(statements) }}
{%- endmacro %}

{% macro athena__compaction_statements(relation, partition, since) -%}
    {{ return(optimize_statements('optimize ' ~ relation ~ ' rewrite data using bin_pack', partition, since)) }}
{%- endmacro %}

{% macro trino__compaction_statements(relation, partition, since) -%}
    {{ return(
        optimize_statements('alter table ' ~ relation ~ ' execute optimize', partition, since)
        + ['alter table ' ~ relation ~ ' execute optimize_manifests']
    ) }}
{%- endmacro %}
