-- For analysts: what became of each DfE file in the benchmarks folder. A file that is set
-- aside (unreadable, or rows breaking a rule, or a neighbour model contradicting another
-- file) feeds nothing, and every other file still loads; the message says why.
select
    file_name,
    coalesce(layout, 'not recognised') as recognised_as,
    canonical_table,
    release,
    status,
    rows_loaded,
    message
from {{ ref('stg_dfe__files') }}
order by file_name, recognised_as
