"""What every domain of ``orchestration.defs`` shares: asset keys, the writer pool, retries,
freshness policies and the dbt project with its translator. No assets are declared here."""
