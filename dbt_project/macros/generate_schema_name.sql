{#- Use the configured schema name as it is (staging, intermediate, marts, reference), not
    dbt's default "<target schema>_<name>", so users query marts.kpi_comparison. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
