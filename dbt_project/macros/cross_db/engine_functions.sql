{#- Small dispatched helpers where DuckDB and Athena (Trino) spell the same thing differently.
    `trino__` (the AWS twin) always returns the `athena__` SQL: Athena engine v3 is Trino. -#}

{#- An ISO-8601 string with a `Z` or an offset, as a UTC timestamp without zone. -#}
{% macro parse_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'request_analytics')(column)) }}
{%- endmacro %}

{#- The instant in UTC microseconds, straight to a naive timestamp: `at time zone` goes
    through ICU row by row and costs as much again as the parse. -#}
{% macro default__parse_utc_timestamp(column) -%}
    make_timestamp(epoch_us(cast({{ column }} as timestamptz)))
{%- endmacro %}

{% macro athena__parse_utc_timestamp(column) -%}
    cast(from_iso8601_timestamp({{ column }}) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro trino__parse_utc_timestamp(column) -%}
    {{ return(athena__parse_utc_timestamp(column)) }}
{%- endmacro %}

{#- A timestamp as a fixed-width text key (`YYYY-MM-DDTHH:MM:SS`), identical on both engines. -#}
{% macro timestamp_key(column) -%}
    {{ return(adapter.dispatch('timestamp_key', 'request_analytics')(column)) }}
{%- endmacro %}

{% macro default__timestamp_key(column) -%}
    strftime({{ column }}, '%Y-%m-%dT%H:%M:%S')
{%- endmacro %}

{% macro athena__timestamp_key(column) -%}
    date_format({{ column }}, '%Y-%m-%dT%H:%i:%s')
{%- endmacro %}

{% macro trino__timestamp_key(column) -%}
    {{ return(athena__timestamp_key(column)) }}
{%- endmacro %}

{#-
    Start of the UTC period of `grain` (hour, day, week = ISO week from Monday, month) that a
    timestamp falls in, always typed timestamp (DuckDB truncates dates to timestamps, Trino to
    dates, so the cast makes both agree).
-#}
{% macro period_start(grain, column) -%}
    cast({{ dbt.date_trunc(grain, column) }} as timestamp)
{%- endmacro %}

{#- Number of elements of an array (0 for an empty one). -#}
{% macro array_length(column) -%}
    {{ return(adapter.dispatch('array_length', 'request_analytics')(column)) }}
{%- endmacro %}

{% macro default__array_length(column) -%}
    len({{ column }})
{%- endmacro %}

{% macro athena__array_length(column) -%}
    cardinality({{ column }})
{%- endmacro %}

{% macro trino__array_length(column) -%}
    {{ return(athena__array_length(column)) }}
{%- endmacro %}

{#- Seconds from `start` to `end`, with the fraction, rounded to the millisecond. -#}
{% macro seconds_between(start, end) -%}
    {{ return(adapter.dispatch('seconds_between', 'request_analytics')(start, end)) }}
{%- endmacro %}

{% macro default__seconds_between(start, end) -%}
    round(epoch({{ end }}) - epoch({{ start }}), 3)
{%- endmacro %}

{% macro athena__seconds_between(start, end) -%}
    round(to_unixtime({{ end }}) - to_unixtime({{ start }}), 3)
{%- endmacro %}

{% macro trino__seconds_between(start, end) -%}
    {{ return(athena__seconds_between(start, end)) }}
{%- endmacro %}
