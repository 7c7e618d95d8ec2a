{#- The custom incremental strategies: DuckDB's replace_partitions, Trino's overwrite_partitions. -#}

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
