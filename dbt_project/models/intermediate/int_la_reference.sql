-- One row per authority (old 3-digit LA code): its current ONS code, name and region.
-- Sources in order of trust: the LA code list, the region hierarchy, then the names and
-- regions printed on DfE's published rows (the only source for the synthetic sample's
-- authorities when no reference files are present).
with region_names as (
    select distinct region_code, region_name
    from {{ ref('stg_dfe__region_la_hierarchy') }}
),

from_code_list as (
    select
        las.old_la_code,
        las.new_la_code,
        las.la_name,
        las.region_code,
        hierarchy.region_name,
        1 as source_priority,
        coalesce(las.operational_from, cast('1900-01-01' as date)) as valid_from
    from {{ ref('stg_dfe__las') }} as las
    left join region_names as hierarchy
        on hierarchy.region_code = las.region_code
),

from_hierarchy as (
    select old_la_code, new_la_code, la_name, region_code, region_name, 2, cast('1900-01-01' as date)
    from {{ ref('stg_dfe__region_la_hierarchy') }}
),

from_published as (
    select old_la_code, new_la_code, la_name, region_code, region_name, 3, make_date(calendar_year, 1, 1)
    from {{ ref('stg_dfe__ehcp_timeliness') }}
    where geographic_level = 'Local authority' and old_la_code not like '%/%'
    union all
    select old_la_code, new_la_code, la_name, region_code, region_name, 3, make_date(calendar_year, 1, 1)
    from {{ ref('stg_dfe__ehcp_requests') }}
    where geographic_level = 'Local authority' and old_la_code not like '%/%'
),

candidates as (
    select * from from_code_list
    union all
    select * from from_hierarchy
    union all
    select * from from_published
),

published_regions as (
    select old_la_code, max(region_code) as region_code, max(region_name) as region_name
    from from_published
    group by old_la_code
),

ranked as (
    select
        *,
        row_number() over (
            partition by old_la_code order by source_priority asc, valid_from desc
        ) as preference
    from candidates
    where old_la_code is not null
)

select
    ranked.old_la_code,
    ranked.new_la_code,
    ranked.la_name,
    coalesce(ranked.region_code, published_region.region_code) as region_code,
    coalesce(ranked.region_name, published_region.region_name) as region_name
from ranked
left join published_regions as published_region
    on published_region.old_la_code = ranked.old_la_code
where ranked.preference = 1
