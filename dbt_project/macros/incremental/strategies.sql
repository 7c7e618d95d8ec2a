{#-
    `incremental_strategy='merge_keys'` (DuckDB and Trino; Athena runs dbt-athena's `merge`,
    which writes the same statement): one MERGE of the run's rows into the table on the
    model's `unique_key`. A matched row whose new version meets `delete_condition` (a
    tombstone) is deleted, any other matched row updated, and a new row inserted unless it is a
    tombstone (`insert_condition`). Nothing is deleted first, so the table is never seen
    without the rows a run is about to write. The target's partitions are pinned to those the
    run's rows hold (`merge_target_partitions`).
-#}
{% macro get_incremental_merge_keys_sql(arg_dict) -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set names = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    {%- set delete_condition = config.get('delete_condition') -%}
    {%- set insert_condition = config.get('insert_condition') -%}
    {%- set update_condition = config.get('update_condition') -%}
    merge into {{ arg_dict['target_relation'] }} as target
    using (select {{ get_quoted_csv(names) }} from {{ arg_dict['temp_relation'] }}) as src
    on (
        {%- for key in keys %}
        target.{{ adapter.quote(key) }} = src.{{ adapter.quote(key) }}{{ ' and' if not loop.last }}
        {%- endfor %}
        {%- for condition in merge_target_partitions(arg_dict['temp_relation'], config.get('partition_columns')) %}
        and {{ condition }}
        {%- endfor %}
    )
    {%- if delete_condition %}
    when matched and ({{ delete_condition }}) then delete
    {%- endif %}
    when matched{% if update_condition %} and ({{ update_condition }}){% endif %} then update set
        {%- for name in names if name not in keys %}
        {{ adapter.quote(name) }} = src.{{ adapter.quote(name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    when not matched{% if insert_condition %} and ({{ insert_condition }}){% endif %} then insert ({{ get_quoted_csv(names) }})
    values (
        {%- for name in names %}
        src.{{ adapter.quote(name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#-
    Conditions that pin a MERGE's target to the partitions its source rows hold: per partition
    column, `target.<column> in (<the source's distinct values, as literals>)`, looked up on the
    source (the run's temporary table: a read of its partition columns only). Trino, and so
    Athena, creates no dynamic filter for a MERGE's join: without literals, the target scan read
    every partition of the table on every run, its keys over the whole history (the twin's
    query statistics showed it). A literal lets the engine prune partitions before it reads.
    The source's values are exactly the partitions its rows can match, since the partition
    columns are part of the MERGE's keys. No source row: `false` (nothing can match).
-#}
{% macro merge_target_partitions(source_relation, partition_columns) -%}
    {%- if not execute or not partition_columns -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set lookup -%}
    select distinct
        {%- for column in partition_columns %}
        cast({{ adapter.quote(column) }} as varchar), typeof({{ adapter.quote(column) }}){{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source_relation }}
    {%- endset -%}
    {%- set rows = run_query(lookup).rows -%}
    {%- set conditions = [] -%}
    {%- for column in partition_columns -%}
        {%- set position = loop.index0 * 2 -%}
        {%- set literals = [] -%}
        {%- set ns = namespace(has_null=false) -%}
        {%- for row in rows -%}
            {%- if row[position] is none -%}
                {%- set ns.has_null = true -%}
            {%- else -%}
                {%- set literal = "cast('" ~ (row[position] | replace("'", "''")) ~ "' as " ~ row[position + 1] ~ ")" -%}
                {%- if literal not in literals -%}{%- do literals.append(literal) -%}{%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set target_column = 'target.' ~ adapter.quote(column) -%}
        {%- set parts = [] -%}
        {%- if literals -%}{%- do parts.append(target_column ~ ' in (' ~ (literals | sort | join(', ')) ~ ')') -%}{%- endif -%}
        {%- if ns.has_null -%}{%- do parts.append(target_column ~ ' is null') -%}{%- endif -%}
        {%- do conditions.append('(' ~ (parts | join(' or ') if parts else 'false') ~ ')') -%}
    {%- endfor -%}
    {{ return(conditions) }}
{%- endmacro %}

{#-
    Athena: dbt-athena's Iceberg MERGE, with the target pinned to the source's partitions
    (`merge_target_partitions`) among its `incremental_predicates`, which it writes into the
    MERGE's `on`. This project's macro of the same name takes precedence over the adapter's,
    and calls it.
-#}
{% macro iceberg_merge(
    on_schema_change, tmp_relation, target_relation, unique_key, incremental_predicates,
    existing_relation, delete_condition, update_condition, insert_condition, force_batch,
    statement_name='main'
) -%}
    {%- set predicates = (incremental_predicates or [])
        + merge_target_partitions(tmp_relation, config.get('partition_columns')) -%}
    {{ return(dbt.iceberg_merge(
        on_schema_change=on_schema_change,
        tmp_relation=tmp_relation,
        target_relation=target_relation,
        unique_key=unique_key,
        incremental_predicates=predicates if predicates else none,
        existing_relation=existing_relation,
        delete_condition=delete_condition,
        update_condition=update_condition,
        insert_condition=insert_condition,
        force_batch=force_batch,
        statement_name=statement_name,
    )) }}
{%- endmacro %}
