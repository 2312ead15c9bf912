-- DfE's wide neighbour file as one row per LA and neighbour (old LA codes).
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
{% if not loop.last %}union all{% endif %}
{%- endfor %}
