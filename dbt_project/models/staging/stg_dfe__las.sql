-- Local authorities with their codes and dates of operation (ONS/DfE reference).
-- Rows naming two authorities at once ("940 / 941") describe a split, not an authority.
select
    trim(old_la_code) as old_la_code,
    trim(new_la_code) as new_la_code,
    trim(la_name) as la_name,
    trim(parent_geography_code) as region_code,
    cast(strptime(nullif(trim(date_of_operation), ''), '%d/%m/%Y') as date) as operational_from,
    cast(strptime(nullif(trim(date_of_termination), ''), '%d/%m/%Y') as date) as operational_to,
    trim(status) as status
from {{ source('raw', 'dfe_las') }}
where old_la_code not like '%/%'
