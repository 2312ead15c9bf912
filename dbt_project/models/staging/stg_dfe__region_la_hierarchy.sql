-- Region of each local authority; rows without an old LA code ('x') are left out.
select
    trim(region_code) as region_code,
    trim(region_name) as region_name,
    trim(old_la_code) as old_la_code,
    trim(new_la_code) as new_la_code,
    trim(la_name) as la_name
from {{ source('raw', 'dfe_region_la_hierarchy') }}
where trim(old_la_code) not in ('', 'x')
