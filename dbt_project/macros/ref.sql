{#-
    `ref` without the database on DuckDB. DuckDB names a database file's catalog after the
    file, and a view stores its query text, so a view that named `warehouse.staging.x` would
    break wherever the file is opened under another name (the API's snapshot copy, an
    ATTACH ... AS alias). Unqualified names bind inside the view's own catalog instead.
-#}
{% macro ref() -%}
    {%- set version = kwargs.get('version') or kwargs.get('v') -%}
    {%- if (varargs | length) == 1 -%}
        {%- set relation = builtins.ref(varargs[0], version=version) -%}
    {%- else -%}
        {%- set relation = builtins.ref(varargs[0], varargs[1], version=version) -%}
    {%- endif -%}
    {%- if target.type == 'duckdb' and relation is not string -%}
        {%- do return(relation.include(database=false)) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
