-- A KPI whose values come from DfE's files (the list at the top of int_published_kpi_values)
-- is one the KPI catalogue says DfE publishes: kpi_definitions.dfe_source names the file and
-- its columns. The mapping and the catalogue (what the scorecard's sources sheet shows)
-- cannot drift apart. (Its Dagster asset check is on int_published_kpi_values.)
{{ config(meta={'dagster': {'ref': {'name': 'int_published_kpi_values'}}}) }}
select distinct published.kpi_id
from {{ ref('int_published_kpi_values') }} as published
left join {{ ref('kpi_definitions') }} as definitions
    on published.kpi_id = definitions.kpi_id
where definitions.dfe_source is null
