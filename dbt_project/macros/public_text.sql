{#- How a figure is written for the public (the open-data export, kpi_comparison_public). -#}

{% macro public_count(column, suppressed) -%}
    {#- A count as text: `c` (DfE's symbol for confidential) when suppressed, else a whole number
        (empty when NULL). -#}
    case
        when {{ suppressed }} then 'c'
        when {{ column }} = round({{ column }}) then cast(cast({{ column }} as bigint) as varchar)
        else cast({{ column }} as varchar)
    end
{%- endmacro %}

{% macro public_rounded(expression) -%}
    {#- A value as text in its unit's precision: rates per 100 to two decimal places (as DfE
        prints exclusion rates), a whole count without decimals, anything else to one, halves
        away from zero. + 0.0 turns -0.0 (a tiny negative change) into 0.0. -#}
    case
        when unit = 'rate_per_100' then format('{:.2f}', round({{ expression }}, 2) + 0.0)
        when unit = 'count' and {{ expression }} = round({{ expression }})
            then cast(cast({{ expression }} as bigint) as varchar)
        else format('{:.1f}', round({{ expression }}, 1) + 0.0)
    end
{%- endmacro %}

{% macro spreadsheet_safe(column) -%}
    {#- Text that came from files, as a spreadsheet shows it instead of running it: a leading
        = + - @, tab or carriage return gets an apostrophe before it (OWASP's CSV injection advice). -#}
    case
        when regexp_matches(cast({{ column }} as varchar), '^[=+\-@\t\r]') then chr(39) || cast({{ column }} as varchar)
        else cast({{ column }} as varchar)
    end
{%- endmacro %}
