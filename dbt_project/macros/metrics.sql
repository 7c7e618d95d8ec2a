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

{#- The grouping sets of the tenancy hierarchy: global, client, reseller, user. -#}
{% macro tenant_grouping_sets(keys) -%}
    grouping sets (
        ({{ keys | join(', ') }}),
        ({{ keys | join(', ') }}, client_id),
        ({{ keys | join(', ') }}, client_id, reseller_id),
        ({{ keys | join(', ') }}, client_id, reseller_id, user_id)
    )
{%- endmacro %}

{#- The level of a row of `tenant_grouping_sets`, from which tenant keys were grouped. -#}
{% macro tenant_level() -%}
    case grouping(client_id, reseller_id, user_id)
        when 7 then 'global'
        when 3 then 'client'
        when 1 then 'reseller'
        else 'user'
    end
{%- endmacro %}

{#- A text key of a metric row; '|' never occurs in ids, so keys cannot collide. -#}
{% macro metric_key(columns) -%}
    {%- for column in columns -%}
        coalesce({{ column }}, '')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}
