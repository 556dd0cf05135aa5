"""Asset keys of the raw tables, shared by the load ops, their checks and the dbt build."""

import dagster as dg

RAW_SCHEMA = "raw"


def raw_asset_key(entity: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_SCHEMA, entity])
