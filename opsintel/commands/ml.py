"""``opsintel ml``: train, score and evaluate the renewal-risk model.

Exit codes follow ``opsintel``'s: 0 success; 1 the work ran but failed (no warehouse, too little
data, a rejected candidate, a missing model or ground truth); 2 bad usage.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
import duckdb

from foundation import settings
from opsintel.console import EXIT_FAILED, EXIT_USAGE, WAREHOUSE_OPTION, fail

if TYPE_CHECKING:  # the model stack (scikit-learn) loads only when a command needs it
    from ml.renewal import RenewalModel

T = TypeVar("T")

AS_OF_OPTION = click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
    help="Scoring / training date [default: $OPSINTEL_AS_OF_DATE or today].")
SEED_OPTION = click.option("--seed", type=int, default=42, show_default=True, help="Random seed of the fit.")



def _as_of(value: datetime | None) -> date:
    if value is not None:
        return value.date()
    try:
        return settings.as_of_date()
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
        raise  # unreachable: fail exits


@contextmanager
def _reading(path: Path | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published warehouse; failures end in one line."""
    from foundation.warehouse import Warehouse, WarehouseError

    try:
        con = Warehouse(path or settings.warehouse_path()).reader()
    except WarehouseError as exc:
        fail(str(exc))
    try:
        yield con
    finally:
        con.close()


def _guarded(work: Callable[[], T]) -> T:
    """Run ``work``; the errors a user can cause or fix become one line and exit 1."""
    from foundation.warehouse import WarehouseError
    from ml.registry import RegistryError
    from ml.renewal import RenewalDataError

    try:
        return work()
    except (RenewalDataError, RegistryError, WarehouseError) as exc:
        fail(str(exc))
    except duckdb.CatalogException as exc:
        fail(f"the warehouse has no marts to read (run `dagster asset materialize --select '*'`): "
              f"{str(exc).splitlines()[0]}")
    raise AssertionError("unreachable")


def metrics_table(model: RenewalModel) -> str:
    """Ours and the baseline on both splits, one line each."""
    lines = [f"  {'model':<10}{'split':<7}{'rows':>6}{'pos.':>6}{'ROC AUC':>9}{'PR AUC':>8}{'Brier':>8}{'lift@10%':>10}"]
    for (name, split), s in sorted(model.metrics.items(), key=lambda item: (item[0][1], item[0][0] != "ours")):
        lines.append(f"  {name:<10}{split:<7}{s.rows:>6}{round(s.rows * s.positive_rate):>6}"
                     f"{s.roc_auc:>9.4f}{s.pr_auc:>8.4f}{s.brier:>8.4f}{s.top_decile_lift:>10.3f}")
    return "\n".join(lines)


def evaluation_report(model: RenewalModel, ceiling: float, band_ceilings: dict[str, float]) -> str:
    """The time-split figures, the ceiling and the gap (overall and per band), sizes, calibration."""
    from ml.renewal import band_report

    ours = model.metrics[("ours", "test")].roc_auc
    baseline = model.metrics[("baseline", "test")].roc_auc
    lines = [
        (f"Renewal risk as of {model.as_of}: each decided contract scored on the first of every month "
        f"in the 180 days before its renewal; split by renewal date at {model.cutoff} (seed {model.seed})"),
        (f"  train: {model.train_contracts} contracts renewing before {model.cutoff} ({model.train_rows} rows, "
        f"{model.train_positives} of them churned or contracted)"),
        (f"  test:  {model.test_contracts} contracts renewing from {model.cutoff} ({model.test_rows} rows, "
        f"{model.test_positives} of them churned or contracted)"),
        metrics_table(model),
        (f"  test ROC AUC: ours {ours:.4f}, baseline {baseline:.4f}, ceiling {ceiling:.4f} "
        f"(the generator's true probability); gap to ceiling {ceiling - ours:+.4f}, ours over baseline {ours - baseline:+.4f}"),
        band_report(model, ceiling, band_ceilings),
        "  calibration of ours on test (equal-count bins, lowest scores first):",
        f"  {'bin':>5}{'rows':>6}{'pos.':>6}{'mean predicted':>16}{'observed rate':>15}",
    ]
    lines += [f"  {int(r.bin):>5}{int(r.rows):>6}{int(r.positives):>6}{r.mean_predicted:>16.3f}{r.observed_rate:>15.3f}"
              for r in model.calibration.itertuples()]
    lines.append(f"  training data hash {model.data_hash[:16]}")
    return "\n".join(lines)


def _train(warehouse: Path | None, as_of: datetime | None, seed: int):
    from ml.renewal import train_renewal_model

    day = _as_of(as_of)
    with _reading(warehouse) as con:
        return _guarded(lambda: train_renewal_model(con, day, seed))


@click.group(name="ml", context_settings={"help_option_names": ["-h", "--help"]})
def ml() -> None:
    """Renewal risk: how likely each contract up for renewal is to churn or contract.

    `train` fits and registers a version, `score` writes ml.renewal_risk_scores with the
    latest published one, `evaluate` prints the time-split figures against the ceiling.
    """


@ml.command()
@WAREHOUSE_OPTION
@AS_OF_OPTION
@SEED_OPTION
@click.option("--floor", type=click.FloatRange(0, 1), default=None,
              help="Least test ROC AUC to publish [default: ml.registry.AUC_FLOOR].")
def train(warehouse: Path | None, as_of: datetime | None, seed: int, floor: float | None) -> None:
    """Train on past renewals, register the version, print its metrics. Exits 1 if it is rejected."""
    from foundation.warehouse import Warehouse
    from ml.registry import AUC_FLOOR, register_model
    from ml.renewal import MODEL_NAME

    model = _train(warehouse, as_of, seed)
    target = Warehouse(warehouse or settings.warehouse_path())
    version = _guarded(lambda: register_model(target, MODEL_NAME, model, floor=AUC_FLOOR if floor is None else floor))
    click.echo(metrics_table(model))
    click.echo(f"{MODEL_NAME} version {version.version}: {version.status} ({version.reason})")
    click.echo(f"artifact: {version.artifact_dir}")
    if version.status != "published":
        sys.exit(EXIT_FAILED)


@ml.command()
@WAREHOUSE_OPTION
@AS_OF_OPTION
@click.option("--version", "version", type=click.IntRange(min=1), default=None,
              help="Model version [default: the latest published].")
def score(warehouse: Path | None, as_of: datetime | None, version: int | None) -> None:
    """Score the contracts renewing within 180 days and replace ml.renewal_risk_scores."""
    from foundation.warehouse import Warehouse
    from ml.registry import load_model
    from ml.renewal import MODEL_NAME
    from ml.scoring import ModelStatus, score_renewals, scoring_time, write_renewal_scores

    day = _as_of(as_of)
    model = _guarded(lambda: load_model(MODEL_NAME, version))
    if model.metadata.get("status") != "published":
        click.echo(f"warning: version {model.version} was {model.metadata.get('status')}: "
                   f"{model.metadata.get('reason')}", err=True)
    scored_at = scoring_time()
    with _reading(warehouse) as con:
        frame = _guarded(lambda: score_renewals(con, model, day, scored_at))
    rows = _guarded(lambda: write_renewal_scores(Warehouse(warehouse or settings.warehouse_path()), frame,
                                                 ModelStatus.of(model, scored_at)))
    bands = frame["risk_band"].value_counts()
    click.echo(f"Scored {rows} contract(s) renewing within 180 days of {day} with {MODEL_NAME} "
               f"version {model.version}: " + ", ".join(f"{bands.get(b, 0)} {b}" for b in ("high", "medium", "low")))


@ml.command()
@WAREHOUSE_OPTION
@AS_OF_OPTION
@SEED_OPTION
@click.option("--ground-truth", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The generator's labels [default: $OPSINTEL_GROUND_TRUTH or data/ground_truth].")
def evaluate(warehouse: Path | None, as_of: datetime | None, seed: int, ground_truth: Path | None) -> None:
    """Print both models' figures against the generator's ground truth.

    Renewal risk: a candidate is trained (not registered) and its time-split figures printed next
    to the baseline and the ceiling. Billing anomalies: the review queue is built and scored
    against the injected billing errors, per error type, for rules alone and rules + model.
    """
    from ml.renewal import band_ceiling_aucs, ceiling_auc

    truth = ground_truth or settings.ground_truth_path()
    if not truth.is_dir():
        fail(f"no ground-truth folder at {truth}: pass --ground-truth or generate a sample company")
    model = _train(warehouse, as_of, seed)
    ceiling = _guarded(lambda: ceiling_auc(model, truth))
    band_ceilings = _guarded(lambda: band_ceiling_aucs(model, truth))
    click.echo(evaluation_report(model, ceiling, band_ceilings))
    click.echo("")
    click.echo(_billing_evaluation(warehouse, _as_of(as_of), truth / "billing_errors.csv"))


def _billing_evaluation(warehouse: Path | None, day: date, truth_csv: Path) -> str:
    from ml.anomaly_evaluation import TruthFileError, evaluate_queue, format_report
    from ml.billing_anomalies import MissingTablesError
    from ml.review_queue import build_review_queue

    with _reading(warehouse) as con:
        try:
            queue = build_review_queue(con, day)
        except MissingTablesError as exc:
            fail(str(exc))
    try:
        report = evaluate_queue(queue, truth_csv)
    except (TruthFileError, OSError) as exc:
        fail(f"cannot read {truth_csv}: {exc}")
    return f"Billing review queue as of {day} against the injected billing errors\n" + format_report(report)
