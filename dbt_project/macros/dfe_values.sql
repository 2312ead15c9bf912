{#- One home for DfE's suppression and missing-value symbols (explore education statistics). -#}

{% macro dfe_symbol_reasons() -%}
    {{ return({
        'c': 'confidential (suppressed)',
        'x': 'not available',
        'z': 'not applicable',
        'u': 'low reliability',
        'low': 'rounds to zero',
        ':': 'not available',
        '': 'blank in the published file',
    }) }}
{%- endmacro %}

{% macro dfe_number(column) -%}
    {#- A published value as a number; a symbol or blank becomes NULL (never 0). -#}
    try_cast(nullif(trim({{ column }}), '') as double)
{%- endmacro %}

{% macro dfe_missing_reason(column) -%}
    {#- Why a published value is NULL: the meaning of its symbol; NULL when there is a number. -#}
    case
        when {{ dfe_number(column) }} is not null then null
        {%- for symbol, reason in dfe_symbol_reasons().items() %}
        when lower(trim(coalesce({{ column }}, ''))) = '{{ symbol }}' then '{{ reason }}'
        {%- endfor %}
        else 'unrecognised value: ' || {{ column }}
    end
{%- endmacro %}

{% macro dfe_academic_year_start() -%}
    {#- The academic year (by its first calendar year) a DfE row belongs to. An academic-year
        time_period names it (202324 -> 2023). NEET's "Calendar year" time_period names the
        year in which its December-February window ends: 2025 is the average of December 2024,
        January and February 2025, i.e. academic year 2024/25 (SEND-KPIS.md, NEET). -#}
    cast(left(trim(time_period), 4) as integer)
        - case when lower(trim(time_identifier)) = 'calendar year' then 1 else 0 end
{%- endmacro %}

{% macro dfe_geography_columns(year_column='calendar_year') -%}
    {#- The provenance and geography every DfE release row starts with, typed and trimmed.
        The year is a calendar year (the first four digits of time_period: 2023), or, called
        with 'academic_year_start', the first year of the academic year the row belongs to
        (dfe_academic_year_start above). -#}
    release,
    release_year,
    source_file,
    {% if year_column == 'academic_year_start' -%}
    {{ dfe_academic_year_start() }} as academic_year_start,
    {%- else -%}
    cast(left(trim(time_period), 4) as integer) as {{ year_column }},
    {%- endif %}
    geographic_level,
    nullif(trim(region_code), '') as region_code,
    nullif(trim(region_name), '') as region_name,
    nullif(trim(old_la_code), '') as old_la_code,
    nullif(trim(new_la_code), '') as new_la_code,
    nullif(trim(la_name), '') as la_name
{%- endmacro %}
