{#-
    Reconciliation of a metric aggregate across the tenancy hierarchy: for every `keys` value
    (e.g. grain and period_start), each additive `measure` summed over the clients equals the
    global row, over the resellers of a client equals that client's row, and over the users
    of a reseller equals that reseller's row. Fails with every mismatching parent.
-#}
{% test levels_add_up(model, measures, keys) %}

{%- set steps = [
    ('client', 'global', []),
    ('reseller', 'client', ['client_id']),
    ('user', 'reseller', ['client_id', 'reseller_id']),
] %}

with

metric_rows as (

    select * from {{ model }}

),

{% for child, parent, parent_keys in steps -%}
{%- set group_keys = keys + parent_keys %}
{{ child }}_sums as (

    select
        {%- for key in group_keys %}
        {{ key }},
        {%- endfor %}
        {%- for measure in measures %}
        sum({{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from metric_rows
    where level = '{{ child }}'
    group by {{ group_keys | join(', ') }}

),

{{ parent }}_rows as (

    select * from metric_rows where level = '{{ parent }}'

),

{{ child }}_mismatches as (

    select
        '{{ parent }}' as parent_level,
        {%- for key in group_keys %}
        coalesce(parent_row.{{ key }}, child_sum.{{ key }}) as {{ key }}_value,
        {%- endfor %}
        1 as mismatch
    from {{ parent }}_rows as parent_row
    full outer join {{ child }}_sums as child_sum
        on
        {%- for key in group_keys %}
        parent_row.{{ key }} = child_sum.{{ key }}{{ ' and' if not loop.last }}
        {%- endfor %}
    where
        {%- for measure in measures %}
        parent_row.{{ measure }} is distinct from child_sum.{{ measure }}{{ ' or' if not loop.last }}
        {%- endfor %}

),

{% endfor -%}

final as (

    {%- for child, parent, parent_keys in steps %}
    select parent_level, mismatch from {{ child }}_mismatches
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final

{% endtest %}
