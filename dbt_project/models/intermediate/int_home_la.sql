-- The authority the warehouse reports on, from the home_la setting (old or ONS code).
-- A data test requires exactly one row: an unknown code stops the build with its name.
select reference.*
from {{ ref('int_la_reference') }} as reference
where reference.old_la_code in (
    select old_la_code
    from {{ ref('int_la_codes') }}
    where old_la_code = '{{ var("home_la") }}'
       or new_la_code = '{{ var("home_la") }}'
)
