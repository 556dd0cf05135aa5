"""Materialize the model assets in process on a test warehouse, and read their check results."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.defs import ml as ml_defs
from orchestration.resources import WarehouseResource


def materialize(path: Path, selection: dg.AssetSelection, floor: float | None) -> dg.ExecuteInProcessResult:
    """Run ``selection`` of the model assets on the warehouse at ``path`` (the model, when
    selected: seed 5, AUC floor ``floor``; None for a selection without it)."""
    config = {} if floor is None else {"ops": {"ml__renewal_model": {"config": {"seed": 5, "auc_floor": floor}}}}
    return dg.materialize(
        ml_defs.ml_assets(),
        selection=selection,
        resources={"warehouse": WarehouseResource(path=str(path))},
        run_config=config,
        raise_on_error=False,
    )


def checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}
