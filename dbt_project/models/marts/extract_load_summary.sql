-- For analysts: every extract file the warehouse has seen and what became of it, with the
-- quarantined rows counted by column and rule. No row-level or person-level data.
with quarantine_counts as (
    select
        load_id,
        column_name,
        check_name,
        count(distinct source_row_number) as rows_failing
    from {{ source('raw', 'quarantine') }}
    group by load_id, column_name, check_name
)

select
    loads.extract,
    loads.source_period,
    loads.file_name,
    loads.file_sha256,
    loads.status,
    loads.public_message as message,
    loads.rows_in_file,
    loads.rows_loaded,
    loads.rows_quarantined,
    loads.loaded_at,
    loads.superseded_by,
    quarantine_counts.column_name as quarantined_column,
    quarantine_counts.check_name as quarantined_rule,
    quarantine_counts.rows_failing
from {{ source('raw', 'load_log') }} as loads
left join quarantine_counts
    on quarantine_counts.load_id = loads.load_id
