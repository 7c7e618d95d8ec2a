{#-
    `incremental_strategy='merge_keys'` (DuckDB and Trino; Athena runs dbt-athena's `merge`,
    which writes the same statement): one MERGE of the run's rows into the table on the
    model's `unique_key`. A matched row whose new version meets `delete_condition` (a
    tombstone) is deleted, any other matched row updated, and a new row inserted unless it is a
    tombstone (`insert_condition`). Nothing is deleted first, so the table is never seen
    without the rows a run is about to write.
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
