{#- One home for the statistics of the comparison mart (docs/statistics.md). -#}

{% macro wilson_bound_pct(numerator, denominator, side) -%}
    {#- A bound of the 95% Wilson score interval of numerator / denominator, in percent, to two
        decimal places: side 'lower' or 'upper'. Right at 0 of n and n of n, where the normal
        approximation fails. z = 1.959964 (two-sided 95%). -#}
    {%- set z2 = '(1.959964 * 1.959964)' -%}
    {%- set p = '(' ~ numerator ~ ' * 1.0 / ' ~ denominator ~ ')' -%}
    round(100 * greatest(0, least(1,
        ({{ p }} + {{ z2 }} / (2 * {{ denominator }}))
            / (1 + {{ z2 }} / {{ denominator }})
        {{ '-' if side == 'lower' else '+' }} 1.959964
            * sqrt({{ p }} * (1 - {{ p }}) / {{ denominator }} + {{ z2 }} / (4 * {{ denominator }} * {{ denominator }}))
            / (1 + {{ z2 }} / {{ denominator }})
    )), 2)
{%- endmacro %}

{% macro significance_against(lower, upper, benchmark, small_count, benchmark_name) -%}
    {#- Whether our rate differs from a benchmark beyond chance: the benchmark outside our 95%
        interval. A small count is marked, never tested (nor coloured). -#}
    case
        when {{ lower }} is null or {{ benchmark }} is null then null
        when {{ small_count }} then 'small count: not tested'
        when {{ benchmark }} < {{ lower }} then 'significantly above {{ benchmark_name }}'
        when {{ benchmark }} > {{ upper }} then 'significantly below {{ benchmark_name }}'
        else 'not significantly different from {{ benchmark_name }}'
    end
{%- endmacro %}

{% macro t_critical_95(degrees_of_freedom) -%}
    {#- The two-sided 95% critical value of Student's t for 1 to 30 degrees of freedom (from the
        t table), and the normal 1.96 beyond: the trend of a short quarterly series needs t, not z. -#}
    {%- set table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                     2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                     2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042] -%}
    case {{ degrees_of_freedom }}
        {%- for value in table %}
        when {{ loop.index }} then {{ value }}
        {%- endfor %}
        else 1.96
    end
{%- endmacro %}
