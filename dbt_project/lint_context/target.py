"""dbt's ``target`` of the project's DuckDB profile."""

database = "opsintel"
schema = "main"
type = "duckdb"
