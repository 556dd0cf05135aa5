"""The billing review queue scored against the generator's injected errors (``billing_errors.csv``).

Only this evaluation reads the truth; the queue is built without it.

Matching a queue item with a true error (both within one tenant):

* errors on an issued line (duplicate_invoice: the second line; late_invoice: every line of the
  late invoice; wrong_price, under_billing, over_billing, billed_before_activation: the line)
  match an item naming the same ``invoice_line_id``, or an invoice-level item (no line) naming
  the same ``invoice_id``;
* a missed_invoice has no invoice and no line: it matches an item with no line naming the same
  ``line_item_id`` and ``period_start``.

Recall of a type: the share of its true errors matched by any item (whatever the item calls
it: a reviewer opening the line sees the error). Precision of a type: among the items that
call themselves that type (the rules' types; for a model-only item its suspected error), the
share matched by a true error of that type. Overall precision: items matched by any true
error. Precision@k: the same among the first k items of the view's ranking (among all of them
when the view holds fewer than k).

Views: ``rules only`` (items a rule names, their types the rules'), ``rules + model`` (the whole
queue) and ``model only`` (items the model flagged, their type the suspected error), each in
the queue's priority order.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

# The rules' types, then the two the rules cannot see (they sit in the line item's price and
# in the metering, the references the rules compare with): only the model can find those.
RULE_VISIBLE_ERRORS = (
    "missed_invoice", "duplicate_invoice", "billed_before_activation", "wrong_price",
    "under_billing", "over_billing", "late_invoice",
)
SILENT_ERRORS = ("price_drift", "usage_spike")
ERROR_TYPES = RULE_VISIBLE_ERRORS + SILENT_ERRORS
TOP_K = (50, 100)
QUEUE_FIELDS = ("priority_rank", "tenant_id", "invoice_id", "invoice_line_id", "line_item_id",
                "period_start", "source", "rule_types", "suspected_error")
VIEWS = {
    "rules only": ("rule", "both"),
    "rules + model": ("rule", "both", "model"),
    "model only": ("model", "both"),
}

Key = tuple[str, ...]


class TruthFileError(ValueError):
    """A row of the truth file cannot be read; the message names file, row and field."""


@dataclass(frozen=True)
class TruthError:
    tenant_id: str
    error_type: str
    invoice_id: str | None
    invoice_line_id: str | None
    line_item_id: str | None
    period_start: date

    def match_keys(self) -> set[Key]:
        """The item keys that find this error (see the module docstring)."""
        if self.invoice_line_id is None:
            return {("period", self.tenant_id, self.line_item_id or "", self.period_start.isoformat())}
        keys: set[Key] = {("line", self.tenant_id, self.invoice_line_id)}
        if self.invoice_id is not None:
            keys.add(("invoice", self.tenant_id, self.invoice_id))
        return keys


def read_truth(truth_csv: Path) -> list[TruthError]:
    """The injected billing errors; a bad row stops the read with one line naming it."""
    path = Path(truth_csv)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise TruthFileError(f"{path}: cannot read: {exc.strerror}") from exc
    with handle:
        reader = csv.DictReader(handle)
        required = ("tenant_id", "error_type", "invoice_id", "invoice_line_id", "line_item_id",
                    "period_start")
        missing = [name for name in required if name not in (reader.fieldnames or [])]
        if missing:
            raise TruthFileError(f"{path}: header lacks field(s) {', '.join(missing)}")
        return [_truth_row(path, number, row) for number, row in enumerate(reader, start=2)]


def _truth_row(path: Path, number: int, row: dict[str, str]) -> TruthError:
    def fail(field: str, problem: str) -> TruthFileError:
        return TruthFileError(f"{path} row {number}, field {field}: {problem}")

    def text(field: str) -> str | None:
        value = (row.get(field) or "").strip()
        return value or None

    tenant, kind = text("tenant_id"), text("error_type")
    if tenant is None:
        raise fail("tenant_id", "missing")
    if kind not in ERROR_TYPES:
        raise fail("error_type", f"unknown value {kind!r} (expected one of {', '.join(ERROR_TYPES)})")
    try:
        period_start = date.fromisoformat(text("period_start") or "")
    except ValueError:
        raise fail("period_start", f"{row.get('period_start')!r} is not a date (YYYY-MM-DD)") from None
    line_id = text("invoice_line_id")
    if kind == "missed_invoice":
        if text("line_item_id") is None:
            raise fail("line_item_id", "missing (a missed invoice is matched by line item and period)")
    elif line_id is None:
        raise fail("invoice_line_id", f"missing (a {kind} names the invoice line)")
    return TruthError(tenant, kind, text("invoice_id"), line_id, text("line_item_id"), period_start)


def _item_key(item: pd.Series) -> Key:
    if pd.notna(item["invoice_line_id"]):
        return ("line", item["tenant_id"], item["invoice_line_id"])
    if pd.notna(item["invoice_id"]):
        return ("invoice", item["tenant_id"], item["invoice_id"])
    return ("period", item["tenant_id"], item["line_item_id"], pd.Timestamp(item["period_start"]).date().isoformat())


def _claimed_types(item: pd.Series, view: str) -> set[str]:
    rule_types = set(item["rule_types"].split(",")) if isinstance(item["rule_types"], str) else set()
    suspected = {item["suspected_error"]} if isinstance(item["suspected_error"], str) else set()
    if view == "model only":
        return suspected
    return rule_types or suspected


@dataclass(frozen=True)
class TypeScore:
    error_type: str
    truth: int  # true errors of the type
    found: int  # of them matched by any item
    claimed: int  # items that call themselves the type
    claimed_right: int  # of them matched by a true error of the type

    @property
    def recall(self) -> float | None:
        return self.found / self.truth if self.truth else None

    @property
    def precision(self) -> float | None:
        return self.claimed_right / self.claimed if self.claimed else None


@dataclass(frozen=True)
class ViewScore:
    view: str
    items: int
    items_right: int  # items matched by any true error
    truth: int
    found: int
    per_type: tuple[TypeScore, ...]
    precision_at: dict[int, float | None]

    @property
    def precision(self) -> float | None:
        return self.items_right / self.items if self.items else None

    @property
    def recall(self) -> float | None:
        return self.found / self.truth if self.truth else None


@dataclass(frozen=True)
class QueueReport:
    truth_rows: int
    queue_items: int
    views: tuple[ViewScore, ...]
    added_items: int = 0  # items the model adds beyond the rules (source 'model')
    added_right: int = 0  # of them matched by a true error


def _score_view(view: str, queue: pd.DataFrame, truth: list[TruthError],
                errors_by_key: dict[Key, list[TruthError]], top_k: tuple[int, ...]) -> ViewScore:
    items = queue[queue["source"].isin(VIEWS[view])].sort_values("priority_rank", kind="stable")

    found: set[int] = set()  # ids of truth rows found
    right: list[bool] = []
    claimed: dict[str, int] = defaultdict(int)
    claimed_right: dict[str, int] = defaultdict(int)
    for _, item in items.iterrows():
        matches = errors_by_key.get(_item_key(item), [])
        found.update(id(error) for error in matches)
        right.append(bool(matches))
        matched_types = {error.error_type for error in matches}
        for kind in _claimed_types(item, view):
            claimed[kind] += 1
            claimed_right[kind] += kind in matched_types

    per_type = tuple(
        TypeScore(kind, truth=sum(e.error_type == kind for e in truth),
                  found=sum(e.error_type == kind and id(e) in found for e in truth),
                  claimed=claimed[kind], claimed_right=claimed_right[kind])
        for kind in ERROR_TYPES)
    precision_at = {k: (sum(right[:k]) / len(right[:k]) if right else None) for k in top_k}
    return ViewScore(view, items=len(items), items_right=sum(right), truth=len(truth),
                     found=len(found), per_type=per_type, precision_at=precision_at)


def _index(truth: list[TruthError]) -> dict[Key, list[TruthError]]:
    errors_by_key: dict[Key, list[TruthError]] = defaultdict(list)
    for error in truth:
        for key in error.match_keys():
            errors_by_key[key].append(error)
    return errors_by_key


def _check_columns(queue: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [name for name in needed if name not in queue.columns]
    if missing:
        raise ValueError(f"review queue lacks column(s) {', '.join(missing)}")


def evaluate_queue(queue: pd.DataFrame, truth_csv: Path,
                   top_k: tuple[int, ...] = TOP_K) -> QueueReport:
    """Precision and recall per error type and overall, and precision@50 / @100, per view."""
    _check_columns(queue, QUEUE_FIELDS)
    truth = read_truth(truth_csv)
    errors_by_key = _index(truth)
    added = queue[queue["source"] == "model"]
    return QueueReport(truth_rows=len(truth), queue_items=len(queue),
                       views=tuple(_score_view(view, queue, truth, errors_by_key, top_k)
                                   for view in VIEWS),
                       added_items=len(added),
                       added_right=sum(bool(errors_by_key.get(_item_key(item)))
                                       for _, item in added.iterrows()))


@dataclass(frozen=True)
class ThresholdPoint:
    threshold: float
    added: int  # items the model adds to the queue (no rule names them)
    added_right: int  # of them matched by a true error

    @property
    def precision(self) -> float | None:
        return self.added_right / self.added if self.added else None


def sweep_thresholds(queue: pd.DataFrame, truth_csv: Path,
                     thresholds: list[float]) -> list[ThresholdPoint]:
    """For each threshold: the items the model adds (source 'model') scoring at least it, and
    how many are real errors. ``queue`` is built with the lowest threshold of the sweep: a
    higher one keeps the items scoring at least it (the per-tenant cap keeps highest scores
    first, so this is the queue that threshold builds)."""
    _check_columns(queue, QUEUE_FIELDS + ("anomaly_score",))
    errors_by_key = _index(read_truth(truth_csv))
    added = queue[queue["source"] == "model"]
    scores = added["anomaly_score"].to_numpy(dtype=float)
    right = [bool(errors_by_key.get(_item_key(item))) for _, item in added.iterrows()]
    points = []
    for threshold in thresholds:
        keep = scores >= threshold
        points.append(ThresholdPoint(threshold, int(keep.sum()),
                                     sum(r for r, k in zip(right, keep) if k)))
    return points


def choose_threshold(points: list[ThresholdPoint], target_precision: float) -> float | None:
    """The lowest threshold at which the model's added items reach ``target_precision``
    (None when none does)."""
    for point in sorted(points, key=lambda p: p.threshold):
        if point.precision is not None and point.precision >= target_precision:
            return point.threshold
    return None


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def format_report(report: QueueReport) -> str:
    """The report as Markdown tables: one per view, then the headline per view."""
    added_precision = report.added_right / report.added_items if report.added_items else None
    headline = (f"{report.queue_items:,} queue items, {report.truth_rows:,} injected errors; "
                f"the model adds {report.added_items:,} items beyond the rules, "
                f"{report.added_right:,} of them real errors (precision {_share(added_precision)})")
    lines = [headline, ""]
    for view in report.views:
        lines += [f"### {view.view}: {view.items:,} items", "",
                  "| error type | true errors | found | recall | items claiming it | right | precision |",
                  "|---|---|---|---|---|---|---|"]
        for t in view.per_type:
            lines.append(f"| {t.error_type} | {t.truth:,} | {t.found:,} | {_share(t.recall)} | "
                         f"{t.claimed:,} | {t.claimed_right:,} | {_share(t.precision)} |")
        lines += [(f"| **overall** | {view.truth:,} | {view.found:,} | {_share(view.recall)} | "
                   f"{view.items:,} | {view.items_right:,} | {_share(view.precision)} |"), ""]
    top_k = list(report.views[0].precision_at) if report.views else []
    lines += ["| view | items | precision | recall | " + " | ".join(f"precision@{k}" for k in top_k) + " |",
              "|---|---|---|---|" + "---|" * len(top_k)]
    for view in report.views:
        lines.append(f"| {view.view} | {view.items:,} | {_share(view.precision)} | "
                     f"{_share(view.recall)} | "
                     + " | ".join(_share(view.precision_at[k]) for k in top_k) + " |")
    return "\n".join(lines)
