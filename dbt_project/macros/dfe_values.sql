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
