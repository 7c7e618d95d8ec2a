{#-
    One row per element of the `products` array of `relation`, with its 1-based position as
    `line_number` and the element's fields as columns, and whether it is the first line of
    the request naming its product in its currency (`is_first_line_of_product`: counting
    those counts requests without a distinct). `carry` lists the relation's columns to
    keep. Requests with an empty array produce no rows (a cross join), which is the grain of
    the product-line model. DuckDB unnests a list of structs to one struct column; Trino
    unnests an array of rows to one column per field.
-#}
{% macro unnest_products(relation, carry) -%}
    {{ return(adapter.dispatch('unnest_products', 'request_analytics')(relation, carry)) }}
{%- endmacro %}

{% macro default__unnest_products(relation, carry) -%}
    {#- DuckDB: unnest in the select list; its lateral join form runs once per request row. -#}
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
        lines.product.quantity,
        list_position(
            list_transform(lines.products, p -> p.product_id || '|' || p.currency),
            lines.product.product_id || '|' || lines.product.currency
        ) = lines.line_number as is_first_line_of_product
    from (
        select
            {%- for column in carry %}
            src.{{ column }},
            {%- endfor %}
            src.products,
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
        line.quantity,
        array_position(
            transform(src.products, p -> concat(p.product_id, '|', p.currency)),
            concat(line.product_id, '|', line.currency)
        ) = line.line_number as is_first_line_of_product
    from {{ relation }} as src
    cross join unnest(src.products) with ordinality
        as line (product_id, name, category, unit_price, currency, quantity, line_number)
{%- endmacro %}

{% macro trino__unnest_products(relation, carry) -%}
    {{ return(athena__unnest_products(relation, carry)) }}
{%- endmacro %}
