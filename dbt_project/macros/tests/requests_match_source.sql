{#-
    Reconciliation with the raw lake: `expression` summed over `model`'s rows matching `where`,
    per value of `group_by` (or once), equals the number of distinct valid request_ids in the
    raw source. Fails with every group that differs.
    On Athena (and the twin), with `date_column` (the model's event date), both sides are
    scoped to the requests that occurred on or after `data_test_since()`: the raw side reads
    only the partitions landed from the day before (a request cannot land before it occurs;
    the day covers a clock running ahead), instead of every raw file each day.
    `dated_groups` (values of `group_by`, e.g. the hour and day grains of an aggregate) are
    the groups whose rows each lie within one date: only they are compared when the window
    applies, since a week or a month straddles its first day. The weekly full check
    (`--vars '{data_test_days: 0}'`) compares every group over the whole history.
-#}
{% test requests_match_source(model, expression, source_name, source_table, where_sql='true', group_by=none, date_column=none, dated_groups=none) %}

{%- set since = data_test_since() if date_column and target.type in ('athena', 'trino') else none %}

with

raw_requests as (

    select count(distinct request_id) as requests
    from {{ source(source_name, source_table) }}
    {%- if since is not none %}
    where
        ingest_date >= '{{ data_test_since(extra_days=1) }}'
        and cast({{ parse_utc_timestamp('occurred_at') }} as date) >= date '{{ since }}'
    {%- endif %}

),

model_requests as (

    select
        {{ group_by if group_by else "'all'" }} as group_value,
        sum({{ expression }}) as requests
    from {{ model }}
    where
        {{ where_sql }}
        {%- if since is not none %}
        and {{ date_column }} >= date '{{ since }}'
        {%- if dated_groups %}
        and {{ group_by }} in ({% for value in dated_groups %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor %})
        {%- endif %}
        {%- endif %}
    group by 1

),

final as (

    select
        model_requests.group_value,
        model_requests.requests as model_requests,
        raw_requests.requests as raw_requests
    from model_requests
    cross join raw_requests
    where model_requests.requests != raw_requests.requests

    union all

    -- An empty model with a non-empty lake is a mismatch too.
    select
        'none' as group_value,
        0 as model_requests,
        raw_requests.requests as raw_requests
    from raw_requests
    where
        raw_requests.requests > 0
        and not exists (select 1 from model_requests)

)

select * from final

{% endtest %}
