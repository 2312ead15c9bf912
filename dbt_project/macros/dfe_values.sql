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

{% macro dfe_geography_columns(year_column='calendar_year') -%}
    {#- The provenance and geography every DfE release row starts with, typed and trimmed.
        The year is the first four digits of time_period: a calendar year (2023), or the
        first year of an academic year (202223 -> 2022; call with 'academic_year_start').
        NEET's calendar-year periods give the same: DfE's "end of 2023" (time_period 2023)
        is the December 2023 to February 2024 average, inside academic year 2023/24. -#}
    release,
    release_year,
    source_file,
    cast(left(trim(time_period), 4) as integer) as {{ year_column }},
    geographic_level,
    nullif(trim(region_code), '') as region_code,
    nullif(trim(region_name), '') as region_name,
    nullif(trim(old_la_code), '') as old_la_code,
    nullif(trim(new_la_code), '') as new_la_code,
    nullif(trim(la_name), '') as la_name
{%- endmacro %}
