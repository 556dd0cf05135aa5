"""Renewal risk on a built warehouse: label agreement, time-split figures, ceiling, calibration, speed.

Prints how the warehouse labels agree with the generator's outcomes, then `opsintel ml evaluate`'s
figures (ours vs the logistic baseline on the time split, the ceiling AUC of the generator's true
probability on the same test rows and the gap, train/test sizes, calibration), the same per band
of days to renewal with the ceiling of each band, the settings chosen on the train period's
validation splits, whether a second fit reproduces the first exactly, and the training time.
Reads the warehouse file read-only; writes nothing.

    PYTHONPATH=. python tests/reports/renewal_risk_report.py \\
        --warehouse /tmp/renewal/opsintel.duckdb --ground-truth /tmp/demo/data/ground_truth
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from foundation.warehouse import connect
from ml.labels import renewal_labels
from ml.renewal import (
    RenewalDataError,
    RenewalModel,
    band_ceiling_aucs,
    ceiling_auc,
    train_renewal_model,
)
from opsintel.commands.ml import evaluation_report


def label_agreement(labels: pd.DataFrame, ground_truth: Path) -> str:
    truth = pd.read_csv(ground_truth / "renewal_outcomes.csv", dtype={"observed": str})
    observed = truth[truth["observed"].str.lower() == "true"]
    joined = labels.merge(observed[["tenant_id", "contract_id", "outcome"]], on=["tenant_id", "contract_id"],
                          how="outer", suffixes=("", "_truth"), indicator=True)
    both = joined[joined["_merge"] == "both"]
    agree = (both["outcome"] == both["outcome_truth"]).mean()
    lines = [(f"Labels: {len(labels)} decided contracts in the warehouse, {len(observed)} observed in the truth, "
              f"{len(both)} in both; outcome agreement {agree:.4f}"),
             "  " + pd.crosstab(both["outcome"], both["outcome_truth"]).to_string().replace("\n", "\n  ")]
    return "\n".join(lines)


def settings_report(model: RenewalModel) -> str:
    lines = [f"Mean validation ROC AUC per candidate (rolling splits, earliest from {model.validation_cutoff}):"]
    lines += [f"  {row.settings:<40}{row.validation_auc:>8.4f}" for row in model.validation.itertuples()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--ground-truth", type=Path, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    with connect(args.warehouse, read_only=True) as con:
        try:
            print(label_agreement(renewal_labels(con, args.as_of), args.ground_truth))
            started = time.perf_counter()
            model = train_renewal_model(con, args.as_of, args.seed)
            seconds = time.perf_counter() - started
            ceiling = ceiling_auc(model, args.ground_truth)
            band_ceilings = band_ceiling_aucs(model, args.ground_truth)
            again = train_renewal_model(con, args.as_of, args.seed)
        except RenewalDataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    print(evaluation_report(model, ceiling, band_ceilings))
    print(settings_report(model))
    same = (again.data_hash == model.data_hash and again.metrics == model.metrics and again.band_metrics == model.band_metrics
            and np.array_equal(again.test_predictions["ours"], model.test_predictions["ours"]))
    print(f"Second fit with seed {args.seed}: {'identical' if same else 'DIFFERENT'} data hash, probabilities, metrics")
    print(f"Training (features at {model.train_rows + model.test_rows} scoring points, settings, fit, metrics): "
          f"{seconds:.1f} s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
