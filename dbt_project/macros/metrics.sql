{#- Shared pieces of the two metric aggregates (agg_session_metrics, agg_product_metrics). -#}

{#- The period grains, in the order the API documents them. -#}
{% macro metric_grains() -%}
    {{ return(['hour', 'day', 'week', 'month']) }}
{%- endmacro %}

{#-
    The grains of the product metrics: the API answers a product query over whole days,
    weeks or months, never hours, so product-hours would be stored and never read.
-#}
{% macro product_metric_grains() -%}
    {{ return(['day', 'week', 'month']) }}
{%- endmacro %}

{#-
    The unit to truncate an event DATE by to find the periods of `grain` a changed date
    touches: every hour of a changed day, the day, its ISO week, its month.
-#}
{% macro grain_date_unit(grain) -%}
    {{ return('day' if grain == 'hour' else grain) }}
{%- endmacro %}

{#- `sum(c) as c` for each of `sums`, then `max(c) as c` for each of `maxes`. -#}
{% macro summed_and_maxed(sums, maxes) -%}
    {%- set aggregates = [] -%}
    {%- for column in sums -%}{%- do aggregates.append('sum(' ~ column ~ ') as ' ~ column) -%}{%- endfor -%}
    {%- for column in maxes -%}{%- do aggregates.append('max(' ~ column ~ ') as ' ~ column) -%}{%- endfor -%}
    {{ return(aggregates) }}
{%- endmacro %}

{#-
    User-level metrics per period of every grain in `grains` from `relation`: one row per
    session and finest period (and `keys`, e.g. product and currency), with `time_column` the
    start of that finest period. A period's sessions are its distinct sessions; `sums` are
    summed and `maxes` maxed. The result has grain, period_start, `keys`, the tenant keys,
    sessions, `sums` and `maxes`, all additive (or max) up the hierarchy, ready for
    `rollup_tenant_levels`: a session belongs to exactly one user, so a user's sessions are
    exact, and so are the sums over users, resellers and clients.
    One pass over `relation` for every grain (`each_grain`): Athena's engine inlines a CTE
    wherever it is named, and bills each read.
-#}
{% macro user_period_metrics(relation, time_column, grains, keys, sums, maxes) -%}
    {{ each_grain_user_metrics(
        relation, time_column, grains, keys, sums, maxes,
        'count(distinct ' ~ relation ~ '.session_id)',
    ) }}
{%- endmacro %}

{#-
    The one pass both builders share: `relation` joined to the list of grains, grouped by
    grain, period start, `keys` and the tenant keys, with `sessions` (an aggregate expression)
    and `sums` summed, `maxes` maxed.
-#}
{% macro each_grain_user_metrics(relation, time_column, grains, keys, sums, maxes, sessions) -%}
    {%- set group_keys = keys + ['client_id', 'reseller_id', 'user_id'] -%}
    select
        grains.grain,
        {{ grain_period_start('grains.grain', grains, relation ~ '.' ~ time_column) }} as period_start,
        {%- for key in group_keys %}
        {{ relation }}.{{ key }},
        {%- endfor %}
        {{ sessions }} as sessions
        {%- for aggregate in summed_and_maxed(sums, maxes) %},
        {{ aggregate }}
        {%- endfor %}
    from {{ relation }}
    cross join ({{ each_grain(grains) }}) as grains (grain)
    group by {{ range(1, group_keys | length + 3) | join(', ') }}
{%- endmacro %}

{#- One row per grain of `grains`, in a column `grain`. -#}
{% macro each_grain(grains) -%}
    values {% for grain in grains %}('{{ grain }}'){{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}

{#- The start of the period of `grain_column`'s grain (one of `grains`) containing `column`. -#}
{% macro grain_period_start(grain_column, grains, column) -%}
    case {{ grain_column }}
        {%- for grain in grains %}
        when '{{ grain }}' then {{ period_start(grain, column) }}
        {%- endfor %}
    end
{%- endmacro %}

{#-
    User-level metrics per period of every grain in `grains` (the finest first: the grain of
    `relation`'s rows) from `relation`: one row per user, finest period (starting at
    `time_column`) and `keys`, with `sessions` (session rows of that period) and, for each
    coarser grain, `<grain>_repeats` (those of the rows whose session was already counted
    earlier in the same period of that grain). A coarser period's sessions are
    sum(sessions) - sum(<grain>_repeats) over its finest periods: exact, and no pass over the
    sessions themselves. `sums` are summed, `maxes` maxed; the result is additive up the
    hierarchy, ready for `rollup_tenant_levels`. One pass over `relation` for every grain.
-#}
{% macro user_periods_from_units(relation, time_column, grains, keys, sums, maxes) -%}
    {%- set repeats -%}
        sum({{ relation }}.sessions) - sum(case grains.grain
            {%- for grain in grains[1:] %}
            when '{{ grain }}' then {{ relation }}.{{ grain }}_repeats
            {%- endfor %}
            else 0
        end)
    {%- endset -%}
    {{ each_grain_user_metrics(relation, time_column, grains, keys, sums, maxes, repeats) }}
{%- endmacro %}

{#-
    `aggregates` of `relation` per `keys` at every level of the tenancy hierarchy in one pass,
    with ROLLUP over (client_id, reseller_id, user_id): user, reseller (client_id,
    reseller_id), client (client_id) and global (no tenant key). Tenant keys above the row's
    level are null. `level` comes from GROUPING(): a bit is set for each key rolled up.
    The aggregates must add up (sums and counts of session-periods), which is what makes one
    ROLLUP exact where COUNT(DISTINCT) would need a pass per level.
-#}
{% macro rollup_tenant_levels(relation, keys, aggregates) -%}
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {{ tenant_level('client_id', 'reseller_id', 'user_id') }} as level,
        client_id,
        reseller_id,
        user_id,
        {%- for aggregate in aggregates %}
        {{ aggregate }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    group by {{ keys | join(', ') }}, rollup (client_id, reseller_id, user_id)
{%- endmacro %}

{#- The level of a ROLLUP (client, reseller, user) row, from which of its keys were rolled up. -#}
{% macro tenant_level(client, reseller, user) -%}
    case grouping({{ client }}, {{ reseller }}, {{ user }})
        when 0 then 'user'
        when 1 then 'reseller'
        when 3 then 'client'
        else 'global'
    end
{%- endmacro %}

{#- A text key of a metric row; '|' never occurs in ids, so keys cannot collide. -#}
{% macro metric_key(columns) -%}
    {%- for column in columns -%}
        coalesce({{ column }}, '')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{#-
    The aggregates' partition buckets (docs/adr/0010-aggregate-period-buckets.md): a row's
    `period_bucket` is the first day of the `unit` (day, month or year) its period starts in,
    the unit set by its grain and level. A metric_id has one grain, level and period_start, so
    it always falls in one bucket. Sized by what is read together against what an hourly MERGE
    reads back: the API reads one level and grain over a range, so a 90-day daily series of a
    client, reseller or the whole service reads one year bucket (two across a new year); user
    rows are many (one per active user and period), so a user bucket is a month; hour rows are
    24 a day, so hours are bucketed a step finer (a month, and a day for users, as before).
    api_lambda/buckets.py repeats this table for the API's bucket bounds; the twin test checks
    that both agree on every stored row.
-#}
{% macro period_bucket_classes() -%}
    {{ return([
        {'grains': ['hour'], 'levels': ['user'], 'unit': 'day'},
        {'grains': ['hour'], 'levels': ['global', 'client', 'reseller'], 'unit': 'month'},
        {'grains': ['day', 'week', 'month'], 'levels': ['user'], 'unit': 'month'},
        {'grains': ['day', 'week', 'month'], 'levels': ['global', 'client', 'reseller'], 'unit': 'year'},
    ]) }}
{%- endmacro %}

{#- A row's `period_bucket` (a date), from its grain, level and period_start columns. -#}
{% macro period_bucket(grain, level, period_start) -%}
    case
        {%- for class in period_bucket_classes() %}
        when {{ grain }} in ('{{ class.grains | join("', '") }}') and {{ level }} in ('{{ class.levels | join("', '") }}')
            then cast({{ dbt.date_trunc(class.unit, period_start) }} as date)
        {%- endfor %}
    end
{%- endmacro %}

{#- The first day of the `unit` (day, month, year) that the date `day` ('YYYY-MM-DD') lies in. -#}
{% macro bucket_start(unit, day) -%}
    {{ return({'day': day, 'month': day[:7] ~ '-01', 'year': day[:4] ~ '-01-01'}[unit]) }}
{%- endmacro %}

{#-
    Predicates on the partition columns alone (grain, level, period_bucket) that together select
    every bucket holding a period on or after `since` ('YYYY-MM-DD'): one per bucket class, as
    Athena's OPTIMIZE and Trino's `optimize` take a WHERE on partition columns only, each a
    conjunction the engines prune partitions with.
-#}
{% macro recent_bucket_predicates(since) -%}
    {%- set predicates = [] -%}
    {%- for class in period_bucket_classes() -%}
        {%- do predicates.append(
            "grain in ('" ~ class.grains | join("', '") ~ "') and level in ('" ~ class.levels | join("', '")
            ~ "') and period_bucket >= date '" ~ bucket_start(class.unit, since) ~ "'"
        ) -%}
    {%- endfor -%}
    {{ return(predicates) }}
{%- endmacro %}

{#-
    One filter for the rows of the periods on or after `since`: the bound on period_bucket
    (from the coarsest class, so it keeps every bucket that may hold such a period) prunes the
    older buckets, the bound on period_date keeps exactly the recent periods' rows.
-#}
{% macro recent_periods_filter(since) -%}
    {%- set units = period_bucket_classes() | map(attribute='unit') | list -%}
    {%- set coarsest = 'year' if 'year' in units else ('month' if 'month' in units else 'day') -%}
    {{ return("period_bucket >= date '" ~ bucket_start(coarsest, since) ~ "' and period_date >= date '" ~ since ~ "'") }}
{%- endmacro %}
