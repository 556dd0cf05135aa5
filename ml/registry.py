"""Model versions: their record in the warehouse (schema ``ml``) and their files under artifacts/.

Every trained candidate gets the next version number of its model name, whether it is published
or rejected, so the history shows both. Three tables describe it:

* ``ml.model_versions``: one row per version (how and on what it was trained, status, reason,
  artifact folder);
* ``ml.model_metrics``: per version, model (ours / baseline) and split (train / test);
* ``ml.model_calibration``: per version, our model's calibration bins on the test split;
* ``ml.model_training_skips``: each training run that could not fit a candidate at all (too few
  decided renewals, say), with its reason, so the history says why no version was made.

The fitted model goes to ``<artifacts>/models/<name>/<version>/model.joblib`` with a
``metadata.json`` beside it (the same record, plus the file's SHA-256 so a damaged file is
caught on load). Registration is all or nothing: the rows are written through
``Warehouse.writer()`` (a scratch copy swapped in only when complete) and the artifact folder is
written under a temporary name and renamed into place only after the warehouse swap succeeded.
A crash in between can leave rows without an artifact, which ``load_model`` reports plainly,
never an artifact the registry does not know.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import joblib
import pandas as pd

from foundation import settings
from foundation.warehouse import Warehouse, registered, table_exists
from ml.evaluation import ScoreSummary

AUC_FLOOR = 0.55  # below it a model ranks barely better than a coin: never publish it
PUBLISHED, REJECTED = "published", "rejected"
MODEL_FILE, METADATA_FILE = "model.joblib", "metadata.json"

REGISTRY_DDL = """
create schema if not exists ml;
create table if not exists ml.model_versions (
    model_name varchar not null,
    version integer not null,
    trained_at timestamp not null,
    as_of date,
    seed integer not null,
    training_data_hash varchar not null,
    features varchar not null,
    cutoff date,
    train_rows integer not null,
    test_rows integer not null,
    train_positives integer not null,
    test_positives integer not null,
    status varchar not null check (status in ('published', 'rejected')),
    reason varchar not null,
    artifact_path varchar not null,
    primary key (model_name, version)
);
create table if not exists ml.model_metrics (
    model_name varchar not null,
    version integer not null,
    model varchar not null,
    split varchar not null,
    roc_auc double,
    pr_auc double,
    brier double,
    top_decile_lift double,
    rows integer not null,
    positives integer not null,
    primary key (model_name, version, model, split)
);
create table if not exists ml.model_calibration (
    model_name varchar not null,
    version integer not null,
    bin integer not null,
    mean_predicted double not null,
    observed_rate double not null,
    rows integer not null,
    positives integer not null,
    primary key (model_name, version, bin)
);
create table if not exists ml.model_training_skips (
    model_name varchar not null,
    attempted_at timestamp not null,
    as_of date not null,
    seed integer not null,
    reason varchar not null
);
"""


class RegistryError(RuntimeError):
    """A model version cannot be registered or loaded; the message says why in one line."""


class NoPublishedVersion(RegistryError):
    """No version of the model is published (none trained, or every candidate rejected)."""


class Registrable(Protocol):
    """What the registry records of a trained model (``ml.renewal.RenewalModel`` is one)."""

    seed: int
    data_hash: str
    cutoff: date
    as_of: date
    train_rows: int
    test_rows: int
    train_positives: int
    test_positives: int
    metrics: dict[tuple[str, str], ScoreSummary]
    calibration: pd.DataFrame

    @property
    def features(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class PublishDecision:
    published: bool
    reason: str

    @property
    def status(self) -> str:
        return PUBLISHED if self.published else REJECTED


def publish_decision(candidate_auc: float, previous_auc: float | None, floor: float = AUC_FLOOR) -> PublishDecision:
    """Publish a candidate unless its test ROC AUC is under the floor or under the version in use."""
    if math.isnan(candidate_auc):
        return PublishDecision(False, "test ROC AUC is not a number")
    if candidate_auc < floor:
        return PublishDecision(False, f"test ROC AUC {candidate_auc:.4f} is under the floor {floor:.4f}")
    if previous_auc is not None and candidate_auc < previous_auc:
        return PublishDecision(
            False, f"test ROC AUC {candidate_auc:.4f} is under the published version's {previous_auc:.4f}")
    if previous_auc is None:
        return PublishDecision(True, f"test ROC AUC {candidate_auc:.4f} clears the floor {floor:.4f}; first published version")
    return PublishDecision(
        True, f"test ROC AUC {candidate_auc:.4f} clears the floor {floor:.4f} and the published {previous_auc:.4f}")


@dataclass(frozen=True)
class RegisteredVersion:
    name: str
    version: int
    status: str
    reason: str
    artifact_dir: Path


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: int
    model: Any
    metadata: dict[str, Any]


def models_root(root: Path | None = None) -> Path:
    return (root or settings.artifacts_path()) / "models"


def published_test_auc(con: duckdb.DuckDBPyConnection, name: str) -> float | None:
    """Our model's test ROC AUC in the latest published version of ``name`` (None if there is none)."""
    if not table_exists(con, "ml", "model_versions"):
        return None
    rows = con.execute(
        """
        select m.roc_auc
        from ml.model_versions as v
        join ml.model_metrics as m
            on m.model_name = v.model_name and m.version = v.version
            and m.model = 'ours' and m.split = 'test'
        where v.model_name = ? and v.status = 'published'
        order by v.version desc
        limit 1
        """,
        [name],
    ).fetchall()
    return float(rows[0][0]) if rows else None


def _next_version(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """One past both the registry's and the artifact folder's highest version (a crash can leave either)."""
    name = folder.name
    registered = con.execute(
        "select coalesce(max(version), 0) from ml.model_versions where model_name = ?", [name]).fetchall()[0][0]
    on_disk = max((int(p.name) for p in folder.iterdir() if p.name.isdigit()), default=0) if folder.is_dir() else 0
    return max(int(registered), on_disk) + 1


def _metric_rows(name: str, version: int, metrics: dict[tuple[str, str], ScoreSummary]) -> pd.DataFrame:
    return pd.DataFrame([
        {"model_name": name, "version": version, "model": model, "split": split,
         "roc_auc": s.roc_auc, "pr_auc": s.pr_auc, "brier": s.brier, "top_decile_lift": s.top_decile_lift,
         "rows": s.rows, "positives": round(s.rows * s.positive_rate)}
        for (model, split), s in sorted(metrics.items())
    ])


def _metadata(name: str, version: int, model: Registrable, trained_at: datetime, decision: PublishDecision,
              artifact_dir: Path) -> dict[str, Any]:
    return {
        "model_name": name, "version": version, "trained_at": trained_at.isoformat(),
        "as_of": model.as_of.isoformat(), "seed": model.seed, "training_data_hash": model.data_hash,
        "features": list(model.features), "cutoff": model.cutoff.isoformat(),
        "train_rows": model.train_rows, "test_rows": model.test_rows,
        "train_positives": model.train_positives, "test_positives": model.test_positives,
        "status": decision.status, "reason": decision.reason, "artifact_path": str(artifact_dir),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_artifact(folder: Path, model: Any, metadata: dict[str, Any], metrics: pd.DataFrame) -> None:
    folder.mkdir(parents=True)
    joblib.dump(model, folder / MODEL_FILE)
    record = {**metadata, "metrics": metrics.drop(columns=["model_name", "version"]).to_dict("records"),
              "model_sha256": _sha256(folder / MODEL_FILE)}
    (folder / METADATA_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    with registered(con, "registry_rows", frame):
        con.execute(f"insert into ml.{table} by name select * from registry_rows")


def register_model(
    warehouse: Warehouse,
    name: str,
    model: Registrable,
    *,
    trained_at: datetime | None = None,
    floor: float = AUC_FLOOR,
    artifacts_root: Path | None = None,
) -> RegisteredVersion:
    """Record ``model`` as the next version of ``name``, published or rejected by ``publish_decision``."""
    trained_at = trained_at or datetime.now(UTC).replace(tzinfo=None)
    folder = models_root(artifacts_root) / name
    staging: Path | None = None
    try:
        with warehouse.writer() as con:
            con.execute(REGISTRY_DDL)
            decision = publish_decision(model.metrics[("ours", "test")].roc_auc, published_test_auc(con, name), floor)
            version = _next_version(con, folder)
            final = folder / str(version)
            staging = folder / f".{version}.{os.getpid()}-{uuid.uuid4().hex[:12]}.tmp"
            metadata = _metadata(name, version, model, trained_at, decision, final)
            metrics = _metric_rows(name, version, model.metrics)
            _write_artifact(staging, model, metadata, metrics)
            version_row = {**metadata, "trained_at": trained_at, "as_of": model.as_of, "cutoff": model.cutoff,
                           "features": json.dumps(metadata["features"])}
            _insert(con, "model_versions", pd.DataFrame([version_row]))
            _insert(con, "model_metrics", metrics)
            calibration = model.calibration[["bin", "mean_predicted", "observed_rate", "rows", "positives"]]
            _insert(con, "model_calibration", calibration.assign(model_name=name, version=version))
        os.replace(staging, final)
    except OSError as exc:
        raise RegistryError(f"cannot write model artifact under {folder}: {exc.strerror or exc}") from exc
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return RegisteredVersion(name, version, decision.status, decision.reason, final)


def record_skipped_training(warehouse: Warehouse, name: str, as_of: date, seed: int, reason: str, *,
                            attempted_at: datetime | None = None) -> None:
    """Record that a training run of ``name`` made no version, and why."""
    attempted_at = attempted_at or datetime.now(UTC).replace(tzinfo=None)
    with warehouse.writer() as con:
        con.execute(REGISTRY_DDL)
        _insert(con, "model_training_skips", pd.DataFrame([{
            "model_name": name, "attempted_at": attempted_at, "as_of": as_of, "seed": seed, "reason": reason}]))


def unpublished_reason(con: duckdb.DuckDBPyConnection, name: str, fallback: str) -> str:
    """Why ``name`` has no published version, from its latest registry event: a rejected version
    or a training run that made none. ``fallback`` when the registry records neither (nothing
    trained yet, or a published version whose artifact is missing)."""
    events: list[tuple[datetime, int, str]] = []
    if table_exists(con, "ml", "model_versions"):
        events += [(at, version, f"version {version} was rejected ({reason})" if status == REJECTED else "")
                   for at, version, status, reason in con.execute(
                       "select trained_at, version, status, reason from ml.model_versions where model_name = ?",
                       [name]).fetchall()]
    if table_exists(con, "ml", "model_training_skips"):
        events += [(at, 0, f"training as of {as_of} made no version ({reason})")
                   for at, as_of, reason in con.execute(
                       "select attempted_at, as_of, reason from ml.model_training_skips where model_name = ?",
                       [name]).fetchall()]
    latest = max(events, default=None, key=lambda event: event[:2])
    return latest[2] if latest is not None and latest[2] else fallback


# -- loading ----------------------------------------------------------------------------------

def _read_metadata(folder: Path, name: str, version: int | str) -> dict[str, Any]:
    path = folder / METADATA_FILE
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"model {name!r} version {version} has no {METADATA_FILE} in {folder}") from None
    except (OSError, ValueError) as exc:
        raise RegistryError(f"model {name!r} version {version}: cannot read {path}: {exc}") from None
    if not isinstance(metadata, dict) or "status" not in metadata or "model_sha256" not in metadata:
        raise RegistryError(f"model {name!r} version {version}: {path} is not a model record")
    return metadata


def _latest_published(folder: Path, name: str) -> int:
    versions = sorted((int(p.name) for p in folder.iterdir() if p.name.isdigit()), reverse=True) \
        if folder.is_dir() else []
    for version in versions:
        if _read_metadata(folder / str(version), name, version)["status"] == PUBLISHED:
            return version
    raise NoPublishedVersion(f"no published version of model {name!r} in {folder}: run `opsintel ml train` first")


def load_model(name: str, version: int | None = None, *, artifacts_root: Path | None = None) -> LoadedModel:
    """A registered model: ``version``, or the latest published one when None."""
    folder = models_root(artifacts_root) / name
    if version is None:
        version = _latest_published(folder, name)
    artifact = folder / str(version)
    if not artifact.is_dir():
        raise RegistryError(f"model {name!r} has no version {version} in {folder}")
    metadata = _read_metadata(artifact, name, version)
    model_file = artifact / MODEL_FILE
    if not model_file.is_file():
        raise RegistryError(f"model {name!r} version {version} has no {MODEL_FILE} in {artifact}")
    if _sha256(model_file) != metadata["model_sha256"]:
        raise RegistryError(f"model {name!r} version {version}: {model_file} is damaged (its checksum changed)")
    try:
        model = joblib.load(model_file)
    except Exception as exc:  # noqa: BLE001 (unpickling fails in many ways; each means the file is unusable)
        raise RegistryError(f"model {name!r} version {version}: cannot load {model_file}: {exc}") from None
    return LoadedModel(name, int(version), model, metadata)
