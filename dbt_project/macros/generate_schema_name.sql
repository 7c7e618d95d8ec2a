{#-
    DuckDB: each layer gets its own schema named after the folder (`staging`, `intermediate`,
    `marts`), so the API reads `marts.<table>`. Athena: every model lives in the Glue database
    of the target (DBT_ATHENA_SCHEMA), which is what Terraform declares and the API queries;
    the AWS twin (Trino) mirrors it (DBT_TWIN_SCHEMA, the same name).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if target.type in ('athena', 'trino') or custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
