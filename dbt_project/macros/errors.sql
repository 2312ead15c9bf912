{% macro raise_data_error(message) -%}
    {#- Stops the model with `message` (a SQL string expression) when it is evaluated: used where
        a row proves a setting wrong, so the error can name the offending value, which a failed
        data test cannot. -#}
    {{ return(adapter.dispatch('raise_data_error')(message)) }}
{%- endmacro %}

{% macro duckdb__raise_data_error(message) -%}
    error({{ message }})
{%- endmacro %}
