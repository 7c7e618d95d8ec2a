{#-
    The first landed copy of each request_id among the rows of `relation`: the earliest
    landed_at, then ingest_date, event_id, log_group and log_stream, so ties resolve the same
    way on every run, and a copy already staged (`is_staged`) before the same copy read again.
    The result keeps every column of `relation`.
-#}
{% macro first_landed_copies(relation) -%}
    {{ return(adapter.dispatch('first_landed_copies', 'request_analytics')(relation)) }}
{%- endmacro %}

{#- On a tie (the same copy read again) the staged one wins, so it is not written again. -#}
{% macro landed_order() -%}
    landed_at asc, ingest_date asc, event_id asc, log_group asc, log_stream asc, is_staged desc
{%- endmacro %}

{#-
    The MERGE condition under which a run's copy of a request replaces the stored one (`src`
    the run's, `target` the stored): it landed first in `landed_order`. A copy read again (the
    same landing) does not, so it is not written twice.
-#}
{% macro landed_before_stored() -%}
    {%- set columns = ['landed_at', 'ingest_date', 'event_id', 'log_group', 'log_stream'] -%}
    {#- Built from the last column out: a < b, or a = b and (the next columns' condition). -#}
    {%- set condition = namespace(sql='src.log_stream < target.log_stream') -%}
    {%- for column in (columns | reverse | list)[1:] -%}
        {%- set condition.sql = 'src.' ~ column ~ ' < target.' ~ column ~ ' or (src.' ~ column ~ ' = target.' ~ column ~ ' and (' ~ condition.sql ~ '))' -%}
    {%- endfor -%}
    {{ return('(' ~ condition.sql ~ ')') }}
{%- endmacro %}

{#-
    DuckDB: most requests land once, and a window over every row drags all its columns
    through a sort. Only the request_ids with several copies are ranked; the rest pass
    straight through. DuckDB reads the relation once and shares it between the branches.
-#}
{% macro default__first_landed_copies(relation) -%}
    with

    repeated as (

        select request_id
        from {{ relation }}
        group by request_id
        having count(*) > 1

    ),

    single_copies as (

        select *
        from {{ relation }} as copies
        where not exists (
            select 1 from repeated where repeated.request_id = copies.request_id
        )

    ),

    ranked_copies as (

        {{ ranked_copies(relation, only_repeated=true) }}

    ),

    first_of_several as (

        select * exclude (landed_rank)
        from ranked_copies
        where landed_rank = 1

    ),

    final as (

        select * from single_copies
        union all
        select * from first_of_several

    )

    select * from final
{%- endmacro %}

{#- Athena: one window; several reads of the relation would each be billed for the bytes. -#}
{% macro athena__first_landed_copies(relation) -%}
    with

    ranked_copies as (

        {{ ranked_copies(relation, only_repeated=false) }}

    ),

    final as (

        select *
        from ranked_copies
        where landed_rank = 1

    )

    select * from final
{%- endmacro %}

{% macro trino__first_landed_copies(relation) -%}
    {{ return(athena__first_landed_copies(relation)) }}
{%- endmacro %}

{#- The copies of `relation` numbered in landed order per request_id (landed_rank 1 wins);
    only those of the `repeated` request_ids when `only_repeated`. -#}
{% macro ranked_copies(relation, only_repeated) -%}
    select
        copies.*,
        row_number() over (partition by copies.request_id order by {{ landed_order() }}) as landed_rank
    from {{ relation }} as copies
    {%- if only_repeated %}
    where exists (
        select 1 from repeated where repeated.request_id = copies.request_id
    )
    {%- endif %}
{%- endmacro %}
