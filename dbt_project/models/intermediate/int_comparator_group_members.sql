{#-
    The comparator groups named in sendkpi.toml ([comparator_groups]), one row per group and
    member, each code (old or ONS) resolved to the old LA code DfE's rows use. A code that is
    not an authority in DfE's reference data stops the build naming the group and the code:
    a mistyped code must not quietly shrink a group. (DuckDB's coalesce evaluates the error
    only for a row whose code did not resolve.)
-#}
{%- set members = var('comparator_groups', []) -%}
with requested as (
    select cast(null as varchar) as group_name, cast(null as varchar) as member_code
    where 1 = 0
    {%- for member in members %}
    union all
    select '{{ member.group_name }}', '{{ member.member_code }}'
    {%- endfor %}
),

resolved as (
    select distinct requested.group_name, requested.member_code, codes.old_la_code
    from requested
    left join {{ ref('int_la_codes') }} as codes
        on codes.old_la_code = requested.member_code
        or codes.new_la_code = requested.member_code
)

select
    resolved.group_name,
    resolved.member_code,
    coalesce(
        resolved.old_la_code,
        {{ raise_data_error(
            "'comparator group ' || resolved.group_name || ': ' || resolved.member_code
             || ' is not an authority in DfE''s reference data (an old 3-digit or a 9-character ONS LA code); '
             || 'fix [comparator_groups] in sendkpi.toml'"
        ) }}
    ) as old_la_code,
    reference.la_name
from resolved
left join {{ ref('int_la_reference') }} as reference
    on reference.old_la_code = resolved.old_la_code
