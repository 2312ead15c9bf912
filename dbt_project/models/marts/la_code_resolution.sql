-- For analysts: every authority code a statistical-neighbour model names, and whether the
-- reference data resolve it to an authority (name, ONS code, region). An unresolved code
-- means that neighbour can never contribute to a neighbour mean: the row says why.
with named_codes as (
    select distinct sn_model, old_la_code as la_code, 'authority' as named_as
    from {{ ref('stg_dfe__statistical_neighbours') }}
    union
    select distinct sn_model, neighbour_old_la_code, 'neighbour'
    from {{ ref('stg_dfe__statistical_neighbours') }}
),

code_list as (
    select distinct old_la_code from {{ ref('stg_dfe__las') }}
)

select
    named_codes.sn_model,
    named_codes.la_code,
    min(named_codes.named_as) as named_as,
    reference.la_name,
    reference.new_la_code,
    reference.region_code,
    case
        when code_list.old_la_code is not null then 'LA code list (las.csv)'
        when reference.old_la_code is not null then 'region hierarchy or DfE published rows'
    end as resolved_by,
    case
        when reference.old_la_code is null
            then 'not in the LA code list, the region hierarchy or any published LA row'
    end as unresolved_reason
from named_codes
left join {{ ref('int_la_reference') }} as reference
    on reference.old_la_code = named_codes.la_code
left join code_list
    on code_list.old_la_code = named_codes.la_code
group by
    named_codes.sn_model, named_codes.la_code, reference.la_name, reference.new_la_code,
    reference.region_code, code_list.old_la_code, reference.old_la_code
