-- Every DfE file found under the benchmarks folder, one row per file and layout it matched
-- (a SEN2 file feeds two tables): loaded, set aside (with why) or unrecognised. The file is
-- named relative to the benchmarks folder; the server path stays in the build warehouse.
select
    file_name,
    file_sha256,
    layout,
    canonical_table,
    release,
    status,
    rows_loaded,
    message,
    loaded_at
from {{ source('raw', 'dfe_files') }}
