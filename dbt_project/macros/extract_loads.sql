{#- One home for how the quarterly case extracts are read: which load of a quarter counts,
    which state of a case counts, and how a figure names the loads it came from. -#}

{% macro from_current_load(extract, alias) -%}
    {#- The rows of each quarter's current load of one case extract (the ledger in
        raw.load_log says which load is current: superseded and held-back loads never count). -#}
from {{ source('raw', extract) }} as {{ alias }}
inner join {{ source('raw', 'load_log') }} as loads
    on loads.load_id = {{ alias }}.load_id
where loads.status = 'current'
{%- endmacro %}

{% macro latest_state(relation, case_key) -%}
    {#- Every row of a staging model ranked within its case, the latest quarter's file first
        (a case spans several quarters; the latest file knows most about it), with the end of
        the latest quarter held (the date the data are as at). Keep `where recency = 1`. -#}
    select
        cases.*,
        row_number() over (partition by {{ case_key }} order by period_end desc) as recency,
        max(period_end) over () as as_at_date
    from {{ relation }} as cases
{%- endmacro %}

{% macro extract_version(load_id_column='load_id') -%}
    {#- A short, stable name for the set of loads a figure was computed from. -#}
    left(md5(string_agg({{ load_id_column }}, ',' order by {{ load_id_column }})), 12)
{%- endmacro %}
