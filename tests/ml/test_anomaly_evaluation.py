"""The queue evaluation on a six-error example worked out by hand.

Truth (tenant TEN-1): a missed invoice (SLI-9, January, no line), a wrong price on L1, an
under-billing on L2, a late invoice on L3 (invoice INV-3), a duplicate L4, an over-billing L5.
Queue, in priority order:

1. rule  wrong_price      L1           -> right
2. both  under_billing    L2 (model suspects over_billing) -> right
3. rule  missed_invoice   SLI-9 / Jan  -> right
4. model over_billing     L9           -> wrong (no error there)
5. rule  late_invoice     L6           -> wrong (the late line is L3)
6. model under_billing    L5           -> an error, but of another type (over_billing)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ml.anomaly_evaluation import (
    TruthFileError,
    choose_threshold,
    evaluate_queue,
    format_report,
    read_truth,
    sweep_thresholds,
)

HEADER = "tenant_id,error_type,invoice_id,invoice_line_id,line_item_id,period_start\n"
TRUTH = HEADER + """\
TEN-1,missed_invoice,,,SLI-9,2026-01-01
TEN-1,wrong_price,INV-1,L1,SLI-1,2026-01-01
TEN-1,under_billing,INV-2,L2,SLI-2,2026-01-01
TEN-1,late_invoice,INV-3,L3,SLI-3,2026-01-01
TEN-1,duplicate_invoice,INV-4,L4,SLI-4,2026-01-01
TEN-1,over_billing,INV-5,L5,SLI-5,2026-01-01
"""


def _item(rank: int, source: str, line: str | None, rule: str | None, suspected: str | None,
          line_item: str = "SLI-0", invoice: str | None = None) -> dict:
    return {"priority_rank": rank, "tenant_id": "TEN-1", "invoice_id": invoice,
            "invoice_line_id": line, "line_item_id": line_item,
            "period_start": pd.Timestamp(2026, 1, 1), "source": source, "rule_types": rule,
            "suspected_error": suspected}


QUEUE = pd.DataFrame([
    _item(1, "rule", "L1", "wrong_price", None),
    _item(2, "both", "L2", "under_billing", "over_billing"),
    _item(3, "rule", None, "missed_invoice", None, line_item="SLI-9"),
    _item(4, "model", "L9", None, "over_billing"),
    _item(5, "rule", "L6", "late_invoice", None),
    _item(6, "model", "L5", None, "under_billing"),
]).sample(frac=1, random_state=3, ignore_index=True)  # the evaluation must follow priority_rank


@pytest.fixture
def truth_csv(tmp_path: Path) -> Path:
    path = tmp_path / "billing_errors.csv"
    path.write_text(TRUTH)
    return path


def _views(truth_csv: Path, queue: pd.DataFrame = QUEUE, top_k: tuple[int, ...] = (2, 4, 50)):
    report = evaluate_queue(queue, truth_csv, top_k=top_k)
    return report, {view.view: view for view in report.views}


def _by_type(view) -> dict[str, tuple[int, int, int, int]]:
    return {t.error_type: (t.truth, t.found, t.claimed, t.claimed_right) for t in view.per_type}


def test_rules_only(truth_csv: Path) -> None:
    _, views = _views(truth_csv)
    rules = views["rules only"]
    assert (rules.items, rules.items_right, rules.truth, rules.found) == (4, 3, 6, 3)
    assert rules.precision == 0.75 and rules.recall == 0.5
    assert _by_type(rules) == {
        "missed_invoice": (1, 1, 1, 1), "duplicate_invoice": (1, 0, 0, 0),
        "billed_before_activation": (0, 0, 0, 0), "wrong_price": (1, 1, 1, 1),
        "under_billing": (1, 1, 1, 1), "over_billing": (1, 0, 0, 0), "late_invoice": (1, 0, 1, 0),
        "price_drift": (0, 0, 0, 0), "usage_spike": (0, 0, 0, 0),
    }
    late = next(t for t in rules.per_type if t.error_type == "late_invoice")
    duplicate = next(t for t in rules.per_type if t.error_type == "duplicate_invoice")
    activation = next(t for t in rules.per_type if t.error_type == "billed_before_activation")
    assert (late.recall, late.precision) == (0.0, 0.0)
    assert duplicate.precision is None  # nothing claimed it
    assert activation.recall is None  # nothing to find
    # items 1, 2, 3, 5 in that order: right, right, right, wrong
    assert rules.precision_at == {2: 1.0, 4: 0.75, 50: 0.75}


def test_rules_and_model(truth_csv: Path) -> None:
    _, views = _views(truth_csv)
    both = views["rules + model"]
    assert (both.items, both.items_right, both.found) == (6, 4, 4)
    assert both.precision == pytest.approx(4 / 6) and both.recall == pytest.approx(4 / 6)
    by_type = _by_type(both)
    # item 2 counts as its rule's under_billing, item 6 as the model's (wrong) under_billing
    assert by_type["under_billing"] == (1, 1, 2, 1)
    # L5's over-billing is found (by item 6), but the only item claiming over_billing is wrong
    assert by_type["over_billing"] == (1, 1, 1, 0)
    assert both.precision_at == {2: 1.0, 4: 0.75, 50: pytest.approx(4 / 6)}


def test_model_only(truth_csv: Path) -> None:
    _, views = _views(truth_csv)
    model = views["model only"]
    assert (model.items, model.items_right, model.found) == (3, 2, 2)
    by_type = _by_type(model)
    assert by_type["over_billing"] == (1, 1, 2, 0)  # items 2 and 4 claim it; neither is right
    assert by_type["under_billing"] == (1, 1, 1, 0)
    assert model.precision_at == {2: 0.5, 4: pytest.approx(2 / 3), 50: pytest.approx(2 / 3)}


# The errors the rules cannot see: a drifted price on L7 and a usage spike on L8. The model adds
# L7 (right, score 0.5) and L10 (wrong: no error there, score 0.4); the rule names L1 (0.9).
SILENT_TRUTH = TRUTH + """\
TEN-1,price_drift,INV-7,L7,SLI-7,2026-01-01
TEN-1,usage_spike,INV-8,L8,SLI-8,2026-02-01
"""
SILENT_QUEUE = pd.DataFrame([
    {**_item(1, "rule", "L1", "wrong_price", None), "anomaly_score": 0.9},
    {**_item(2, "model", "L7", None, "price_drift"), "anomaly_score": 0.5},
    {**_item(3, "model", "L10", None, "usage_spike"), "anomaly_score": 0.4},
])


def test_the_silent_types_are_scored_and_what_the_model_adds_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "billing_errors.csv"
    path.write_text(SILENT_TRUTH)
    report = evaluate_queue(SILENT_QUEUE, path, top_k=(2,))
    views = {view.view: view for view in report.views}
    both = _by_type(views["rules + model"])
    assert both["price_drift"] == (1, 1, 1, 1) and both["usage_spike"] == (1, 0, 1, 0)
    rules = _by_type(views["rules only"])
    assert rules["price_drift"] == (1, 0, 0, 0) and rules["usage_spike"] == (1, 0, 0, 0)
    assert (report.added_items, report.added_right) == (2, 1)
    text = format_report(report)
    assert "the model adds 2 items beyond the rules, 1 of them real errors (precision 0.500)" in text
    assert "| price_drift | 1 | 1 | 1.000 | 1 | 1 | 1.000 |" in text


def test_thresholds_are_swept_over_the_added_items_and_the_lowest_good_one_chosen(
        tmp_path: Path) -> None:
    path = tmp_path / "billing_errors.csv"
    path.write_text(SILENT_TRUTH)
    points = sweep_thresholds(SILENT_QUEUE, path, [0.3, 0.45, 0.6])
    # the rule's item never counts; L7 (0.5) is right, L10 (0.4) is not
    assert [(p.threshold, p.added, p.added_right) for p in points] == [
        (0.3, 2, 1), (0.45, 1, 1), (0.6, 0, 0)]
    assert [p.precision for p in points] == [0.5, 1.0, None]
    assert choose_threshold(points, 0.9) == 0.45
    assert choose_threshold(points, 0.5) == 0.3
    assert choose_threshold(points, 1.01) is None


def test_an_invoice_level_item_finds_the_errors_of_its_invoice(truth_csv: Path) -> None:
    queue = pd.DataFrame([_item(1, "model", None, None, "late_invoice", invoice="INV-3")])
    _, views = _views(truth_csv, queue)
    assert _by_type(views["model only"])["late_invoice"] == (1, 1, 1, 1)


def test_a_missed_invoice_is_not_found_by_a_line_of_the_same_period(truth_csv: Path) -> None:
    queue = pd.DataFrame([_item(1, "rule", "L7", "missed_invoice", None, line_item="SLI-9")])
    _, views = _views(truth_csv, queue)
    assert _by_type(views["rules only"])["missed_invoice"] == (1, 0, 1, 0)


def test_the_report_prints_every_view_and_type(truth_csv: Path) -> None:
    report, _ = _views(truth_csv, top_k=(50, 100))
    text = format_report(report)
    assert "| rules only | 4 | 0.750 | 0.500 | 0.750 | 0.750 |" in text
    assert "| late_invoice | 1 | 0 | 0.000 | 1 | 0 | 0.000 |" in text
    assert text.count("| missed_invoice |") == 3


@pytest.mark.parametrize(("row", "message"), [
    ("TEN-1,mispriced,INV-1,L1,SLI-1,2026-01-01", "row 2, field error_type: unknown value 'mispriced'"),
    ("TEN-1,wrong_price,INV-1,L1,SLI-1,2026-13-01", "row 2, field period_start: '2026-13-01' is not a date"),
    ("TEN-1,wrong_price,INV-1,,SLI-1,2026-01-01", "row 2, field invoice_line_id: missing"),
    ("TEN-1,missed_invoice,,,,2026-01-01", "row 2, field line_item_id: missing"),
    (",wrong_price,INV-1,L1,SLI-1,2026-01-01", "row 2, field tenant_id: missing"),
])
def test_a_bad_truth_row_is_named_in_one_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "billing_errors.csv"
    path.write_text(HEADER + row + "\n")
    with pytest.raises(TruthFileError) as caught:
        read_truth(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_truth_file_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "billing_errors.csv"
    path.write_text("tenant_id,error_type\nTEN-1,wrong_price\n")
    with pytest.raises(TruthFileError, match="header lacks field"):
        read_truth(path)


def test_truth_rows_are_read_with_their_keys(truth_csv: Path) -> None:
    truth = read_truth(truth_csv)
    assert len(truth) == 6
    assert truth[0].match_keys() == {("period", "TEN-1", "SLI-9", "2026-01-01")}
    assert truth[3].match_keys() == {("line", "TEN-1", "L3"), ("invoice", "TEN-1", "INV-3")}
    assert truth[0].period_start == date(2026, 1, 1)
