{#-
    Fails with every combination of `columns` that more than one row of `model` has: the
    primary key of a model whose key is several columns (e.g. a session: client_id,
    reseller_id, session_id).
-#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
