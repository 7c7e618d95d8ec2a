{#-
    The twin's unit tests: dbt casts each fixture value to its column's type with `safe_cast`.
    The fixtures spell an array of structs as DuckDB does (`[{'product_id': 'p-1', ...}]`),
    which Trino cannot cast from text; with its quotes made JSON's, it is a JSON array whose
    objects Trino casts to rows by field name. Everything else is dbt-trino's own cast.
-#}
{% macro trino__safe_cast(field, type) -%}
    {%- set nested = (type | lower).startswith('array') or (type | lower).startswith('row') -%}
    {%- if nested and field is string and field.startswith("'") -%}
        cast(json_parse(replace({{ field }}, '''', '"')) as {{ type }})
    {%- else -%}
        try_cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
