-- DfE's neighbour files (2025 CSV, 2021 workbook) as one row per LA and neighbour (old LA
-- codes). An empty cell or '-' (the 2021 workbook's "no neighbour") is not a neighbour.
{%- set ranks = range(1, 11) %}
{% for rank in ranks %}
select
    release as sn_model,
    trim(old_la_code) as old_la_code,
    {{ rank }} as neighbour_rank,
    trim(sn_{{ rank }}) as neighbour_old_la_code,
    trim(sn_{{ rank }}p) as closeness
from {{ source('raw', 'dfe_sn_model_wide') }}
where nullif(trim(sn_{{ rank }}), '') is not null
  and trim(sn_{{ rank }}) <> '-'
{% if not loop.last %}union all{% endif %}
{%- endfor %}
