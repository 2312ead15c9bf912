-- Every (old LA code, ONS code) pair seen in the reference files or DfE's published rows,
-- so that an authority can be named by either code, including ONS codes it no longer uses.
select distinct old_la_code, new_la_code
from (
    select old_la_code, new_la_code from {{ ref('stg_dfe__las') }}
    union all
    select old_la_code, new_la_code from {{ ref('stg_dfe__region_la_hierarchy') }}
    union all
    select old_la_code, new_la_code from {{ ref('stg_dfe__ehcp_timeliness') }}
    where geographic_level = 'Local authority'
    union all
    select old_la_code, new_la_code from {{ ref('stg_dfe__ehcp_requests') }}
    where geographic_level = 'Local authority'
) as pairs
where old_la_code is not null and old_la_code not like '%/%'
