"""Row counts grow linearly with the scale factor; tenants are set independently."""

from __future__ import annotations

from pathlib import Path

from generator import generate

CUSTOMER_DRIVEN = ("customers", "contracts", "subscription_line_items", "invoices",
                   "invoice_lines", "payments", "usage_events", "support_tickets",
                   "opportunities", "implementation_projects", "milestones")


def test_rows_grow_linearly_with_scale(tmp_path: Path) -> None:
    small = generate(tmp_path / "s" / "out", tmp_path / "s" / "truth", tenants=2, scale=0.1,
                     seed=1).rows
    large = generate(tmp_path / "l" / "out", tmp_path / "l" / "truth", tenants=2, scale=0.3,
                     seed=1).rows
    assert small["customers"] == 100 and large["customers"] == 300
    for entity in CUSTOMER_DRIVEN:
        ratio = large[entity] / small[entity]
        assert 2.3 < ratio < 3.8, (entity, ratio)
    for entity in ("tenants", "products", "vendors", "inventory_items"):
        assert large[entity] == small[entity]


def test_tenants_are_independent_of_scale(tmp_path: Path) -> None:
    rows = generate(tmp_path / "out", tmp_path / "truth", tenants=5, scale=0.02, seed=1).rows
    assert rows["tenants"] == 5 and rows["customers"] == 20
