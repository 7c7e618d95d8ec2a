{#- Shared pieces of the two metric aggregates (agg_session_metrics, agg_product_metrics). -#}

{#- The period grains, in the order the API documents them. -#}
{% macro metric_grains() -%}
    {{ return(['hour', 'day', 'week', 'month']) }}
{%- endmacro %}

{#-
    The unit to truncate an event DATE by to find the periods of `grain` a changed date
    touches: every hour of a changed day, the day, its ISO week, its month.
-#}
{% macro grain_date_unit(grain) -%}
    {{ return('day' if grain == 'hour' else grain) }}
{%- endmacro %}

{#-
    Rows of `relation` (which has hour_start and event_date) tagged with every grain and
    its period_start; on incremental runs only the whole periods that contain a changed
    event date, so each touched period is recomputed from all of its rows.
-#}
{% macro rows_by_grain(relation, columns) -%}
    {%- for grain in metric_grains() %}
    select
        '{{ grain }}' as grain,
        {{ period_start(grain, relation ~ '.hour_start') }} as period_start,
        {%- for column in columns %}
        {{ relation }}.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if is_incremental() %}
    where
        {{ period_start(grain_date_unit(grain), relation ~ '.event_date') }} in (
            select {{ period_start(grain_date_unit(grain), 'changed_dates.event_date') }}
            from changed_dates
        )
    {%- endif %}
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}

{#-
    `aggregates` of `relation` per `keys` at every level of the tenancy hierarchy, one select
    per level: global (no tenant key), client, reseller (client_id, reseller_id), user (all
    three). Tenant keys above the row's level are null. Each level is its own exact GROUP BY
    over the same rows, so distinct counts are exact at every level.
-#}
{% macro rollup_tenant_levels(relation, keys, aggregates) -%}
    {%- set levels = [
        ('global', []),
        ('client', ['client_id']),
        ('reseller', ['client_id', 'reseller_id']),
        ('user', ['client_id', 'reseller_id', 'user_id']),
    ] -%}
    {%- for level, tenant_keys in levels %}
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        '{{ level }}' as level,
        {%- for tenant_key in ['client_id', 'reseller_id', 'user_id'] %}
        {{ tenant_key if tenant_key in tenant_keys else 'cast(null as varchar)' }} as {{ tenant_key }},
        {%- endfor %}
        {%- for aggregate in aggregates %}
        {{ aggregate }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    group by {{ (keys + tenant_keys) | join(', ') }}
    {%- if not loop.last %}

    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}

{#- A text key of a metric row; '|' never occurs in ids, so keys cannot collide. -#}
{% macro metric_key(columns) -%}
    {%- for column in columns -%}
        coalesce({{ column }}, '')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}
