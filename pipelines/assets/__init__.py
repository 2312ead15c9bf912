"""Assets by stage: ingest (extracts, DfE files) -> transform (dbt) -> publish."""
