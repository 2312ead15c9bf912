-- DfE's neighbour files (2025 CSV, 2021 and 2025 workbooks) as one row per model, LA and
-- neighbour (old LA codes). An empty cell or '-' (the 2021 workbook's "no neighbour") is not
-- a neighbour. Two files giving one model agree (the loader sets aside files that do not):
-- each neighbour is kept once, from the first file by name.
{%- set ranks = range(1, 11) %}
with neighbours as (
{%- for rank in ranks %}
    select
        release as sn_model,
        source_file,
        trim(old_la_code) as old_la_code,
        {{ rank }} as neighbour_rank,
        trim(sn_{{ rank }}) as neighbour_old_la_code,
        trim(sn_{{ rank }}p) as closeness
    from {{ source('raw', 'dfe_sn_model_wide') }}
    where nullif(trim(sn_{{ rank }}), '') is not null
      and trim(sn_{{ rank }}) <> '-'
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)

select
    sn_model,
    old_la_code,
    neighbour_rank,
    neighbour_old_la_code,
    closeness
from neighbours
qualify row_number() over (
    partition by sn_model, old_la_code, neighbour_rank order by source_file
) = 1
