"""Concurrency pools of the ops."""

# DuckDB has one writer: every op that writes the warehouse takes a slot in this pool
# (limit 1 in dagster.yaml), so overlapping runs queue instead of failing on the file lock.
WAREHOUSE_WRITER_POOL = "warehouse_writer"
