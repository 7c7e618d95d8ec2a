{#-
    One row per element of the `products` array of `relation`, with its 1-based position as
    `line_number` and the element's fields as columns. `carry` lists the relation's columns to
    keep. Requests with an empty array produce no rows (a cross join), which is the grain of
    the product-line model. DuckDB unnests a list of structs to one struct column; Trino
    unnests an array of rows to one column per field.
-#}
{% macro unnest_products(relation, carry) -%}
    {{ return(adapter.dispatch('unnest_products', 'request_analytics')(relation, carry)) }}
{%- endmacro %}

{% macro default__unnest_products(relation, carry) -%}
    {#- DuckDB: unnest in the select list (a lateral join per row is ~25x slower here). -#}
    select
        {%- for column in carry %}
        lines.{{ column }},
        {%- endfor %}
        lines.line_number,
        lines.product.product_id,
        lines.product.name as product_name,
        lines.product.category,
        lines.product.unit_price,
        lines.product.currency,
        lines.product.quantity
    from (
        select
            {%- for column in carry %}
            src.{{ column }},
            {%- endfor %}
            generate_subscripts(src.products, 1) as line_number,
            unnest(src.products) as product
        from {{ relation }} as src
    ) as lines
{%- endmacro %}

{% macro athena__unnest_products(relation, carry) -%}
    select
        {%- for column in carry %}
        src.{{ column }},
        {%- endfor %}
        line.line_number,
        line.product_id,
        line.name as product_name,
        line.category,
        line.unit_price,
        line.currency,
        line.quantity
    from {{ relation }} as src
    cross join unnest(src.products) with ordinality
        as line (product_id, name, category, unit_price, currency, quantity, line_number)
{%- endmacro %}
