"""Arguments, summary and layout of a run."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from generator import GenerationSummary, generate
from models import load_contracts


@pytest.mark.parametrize("kwargs", [
    {"tenants": 0}, {"tenants": -3}, {"tenants": 2.5}, {"scale": 0}, {"scale": -1.0},
    {"dirty_rate": -0.01}, {"dirty_rate": 0.51}, {"as_of": date(2022, 1, 1)},
])
def test_bad_arguments_raise_value_error(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path / "out", tmp_path / "truth", **kwargs)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("truth", ["out/truth", "out", "."])
def test_truth_folder_must_be_separate_from_landing(tmp_path: Path, truth: str) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path / "out", tmp_path / truth, tenants=1, scale=0.01)


def test_summary_matches_files_and_manifest(tmp_path: Path) -> None:
    lines: list[str] = []
    summary = generate(tmp_path / "out", tmp_path / "truth", tenants=2, scale=0.03, seed=3,
                       progress=lines.append)
    assert isinstance(summary, GenerationSummary)
    contracts = load_contracts()
    assert set(summary.rows) == set(contracts)
    on_disk = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.*"))
    assert sorted(summary.files) == on_disk
    assert len(on_disk) == len(contracts)
    for rel in summary.files:
        source, name = rel.split("/")
        assert contracts[name.split(".")[0]].source == source
    assert summary.rows["customers"] == 30  # round(1000 * 0.03) over both tenants
    assert summary.rows["tenants"] == 2
    assert summary.seconds > 0
    assert any("billing: invoices" in line for line in lines)
    assert not any((tmp_path / "out").rglob("manifest.json"))
    assert (tmp_path / "truth" / "manifest.json").exists()


def test_file_formats_are_the_agreed_mix(clean) -> None:
    expected = {
        "finance": {"tenants.csv", "fx_rates.parquet", "approval_events.jsonl"},
        "partners": {"partners.csv", "partner_settlements.csv"},
        "crm": {"customers.csv", "opportunities.csv", "contracts.jsonl",
                "contract_amendments.jsonl", "forecasts.csv"},
        "billing": {"products.csv", "price_book_entries.csv", "subscription_line_items.jsonl",
                    "invoices.jsonl", "invoice_lines.parquet", "credit_notes.csv",
                    "payments.csv"},
        "usage": {"usage_events.parquet"},
        "projects": {"implementation_projects.jsonl", "milestones.jsonl"},
        "procurement": {"vendors.csv", "inventory_items.csv", "purchase_orders.csv",
                        "receipts.csv", "stock_movements.parquet", "device_deployments.csv"},
        "support": {"support_tickets.jsonl"},
    }
    found = {d.name: {p.name for p in d.iterdir()} for d in clean.out.iterdir()}
    assert found == expected
