{#- DfE releases dated by academic year (exclusions, NEET, children missing education). -#}

{% macro dfe_academic_year_start(time_period) -%}
    {#- The first calendar year of the academic year a row belongs to: 202223 -> 2022.
        NEET's calendar-year periods give the same: DfE's "end of 2023" (time_period 2023)
        is the December 2023 to February 2024 average, inside academic year 2023/24. -#}
    cast(left(trim({{ time_period }}), 4) as integer)
{%- endmacro %}

{% macro dfe_academic_geography_columns() -%}
    {#- Provenance, academic year and geography of a DfE release row, trimmed. -#}
    release,
    release_year,
    source_file,
    {{ dfe_academic_year_start('time_period') }} as academic_year_start,
    geographic_level,
    nullif(trim(region_code), '') as region_code,
    nullif(trim(region_name), '') as region_name,
    nullif(trim(old_la_code), '') as old_la_code,
    nullif(trim(new_la_code), '') as new_la_code,
    nullif(trim(la_name), '') as la_name
{%- endmacro %}
