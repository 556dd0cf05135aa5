"""Renewal labels from the warehouse: a hand-built case for each rule, and agreement with the truth.

The labels are the dbt model int_renewal_outcomes, built on the hand-built warehouse as of the
date each case needs.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dbt_models import build_ml_models

from ml.labels import renewal_labels

AS_OF = date(2026, 6, 30)

# contract, customer, renewed_from, signed, start, end
CONTRACTS = [
    ("C-CHURN", "K1", None, "2025-01-10", "2025-02-01", "2026-02-01"),
    ("C-BACK", "K1", None, "2026-05-02", "2026-06-01", "2027-06-01"),  # reactivation: no link
    ("C-FREQ", "K2", None, "2025-02-10", "2025-03-01", "2026-03-01"),
    ("C-FREQ-R", "K2", "C-FREQ", "2026-02-10", "2026-03-01", "2027-03-01"),
    ("C-CUT", "K3", None, "2025-03-10", "2025-04-01", "2026-04-01"),
    ("C-CUT-R", "K3", "C-CUT", "2026-03-05", "2026-04-01", "2027-04-01"),
    ("C-UP", "K4", None, "2025-04-10", "2025-05-01", "2026-05-01"),
    ("C-UP-R", "K4", "C-UP", "2026-04-01", "2026-05-01", "2027-05-01"),
    ("C-LATE", "K5", None, "2025-06-10", "2025-06-01", "2026-06-01"),
    ("C-LATE-R", "K5", "C-LATE", "2026-07-15", "2026-06-01", "2027-06-01"),  # signed after as_of
    ("C-OPEN", "K6", None, "2025-09-10", "2025-10-01", "2026-10-01"),  # ends after as_of
]

# contract, month, monthly amount, quantity: the ending contract's last months, the renewal's first
LINE_MONTHS = [
    ("C-CHURN", "2026-01-01", 500, 10),
    ("C-FREQ", "2026-02-01", 1000, 20),  # monthly -> annual billing: list price cheaper per month
    ("C-FREQ-R", "2026-03-01", 960, 20),
    ("C-CUT", "2026-02-01", 900, 30), ("C-CUT", "2026-03-01", 800, 25),  # amended down mid-term
    ("C-CUT-R", "2026-04-01", 600, 18),
    ("C-UP", "2026-04-01", 700, 7),
    ("C-UP-R", "2026-05-01", 750, 7),
    ("C-LATE", "2026-05-01", 300, 3),
    ("C-LATE-R", "2026-06-01", 300, 3),
]


@pytest.fixture(scope="module")
def hand_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("labels") / "labels.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("""create table marts.dim_contract (tenant_id varchar, contract_id varchar, customer_id varchar,
        renewed_from_contract_id varchar, signed_date date, start_date date, end_date date)""")
    con.executemany("insert into marts.dim_contract values ('T', ?, ?, ?, ?, ?, ?)", CONTRACTS)
    con.execute("""create table marts.fct_subscription_line_months (tenant_id varchar, contract_id varchar,
        month_start date, monthly_amount decimal(28, 6), quantity decimal(18, 4))""")
    con.executemany("insert into marts.fct_subscription_line_months values ('T', ?, ?, ?, ?)", LINE_MONTHS)
    con.close()
    return path


def _labels(hand_built: Path, as_of: date, copy: Path):
    """The labels of the hand-built warehouse as of ``as_of`` (built on a copy)."""
    shutil.copyfile(hand_built, copy)
    build_ml_models(copy, as_of, select=["int_renewal_outcomes"])
    with duckdb.connect(str(copy), read_only=True) as con:
        return renewal_labels(con, as_of).set_index("contract_id")


def test_each_rule_on_a_hand_built_warehouse(hand_built: Path, tmp_path: Path) -> None:
    labels = _labels(hand_built, AS_OF, tmp_path / "now.duckdb")

    # decided = ended on or before as_of; the open contract and the renewals themselves are not
    assert sorted(labels.index) == ["C-CHURN", "C-CUT", "C-FREQ", "C-LATE", "C-UP"]
    assert labels["outcome"].to_dict() == {
        "C-CHURN": "churned",  # the customer's later new contract does not renew it
        "C-CUT": "contracted",  # 800 -> 600 MRR and 25 -> 18 units (its last month, not its first)
        "C-FREQ": "renewed",  # MRR 1000 -> 960 but the same 20 units: a re-quote, not a cut
        "C-LATE": "churned",  # its renewal was signed after as_of: unknown on as_of
        "C-UP": "renewed",
    }
    assert labels["label"].to_dict() == {"C-CHURN": 1, "C-CUT": 1, "C-FREQ": 0, "C-LATE": 1, "C-UP": 0}
    assert labels.loc["C-CUT", ["ending_mrr", "renewal_mrr", "ending_units", "renewal_units"]].tolist() == [
        800, 600, 25, 18]
    assert labels.loc["C-CUT", "renewal_contract_id"] == "C-CUT-R"
    # once the late renewal is signed, the same contract counts as renewed
    later = _labels(hand_built, date(2026, 7, 31), tmp_path / "later.duckdb")
    assert later.loc["C-LATE", "outcome"] == "renewed"
    assert later.loc["C-LATE", "renewal_mrr"] == 300


def test_labels_agree_with_the_generators_outcome(renewal_company) -> None:
    with renewal_company.reader() as con:
        labels = renewal_labels(con, renewal_company.as_of)
    with (renewal_company.truth / "renewal_outcomes.csv").open(newline="") as handle:
        truth = {(r["tenant_id"], r["contract_id"]): r for r in csv.DictReader(handle)}
    observed = {key for key, row in truth.items() if row["observed"] == "true"}
    ours = {(t, c): o for t, c, o in zip(labels["tenant_id"], labels["contract_id"], labels["outcome"])}

    # the same contracts are decided on both sides, and enough of each outcome to mean something
    assert set(ours) == observed
    counts = {outcome: sum(o == outcome for o in ours.values()) for outcome in ("churned", "contracted", "renewed")}
    assert min(counts.values()) >= 20, counts
    disagreements = {key: (ours[key], truth[key]["outcome"]) for key in ours if ours[key] != truth[key]["outcome"]}
    agreement = 1 - len(disagreements) / len(ours)
    print(f"label agreement with the generator: {agreement:.4f} on {len(ours)} decided contracts {counts}")
    assert agreement == 1.0, disagreements
    # the renewal named is the one the generator made
    for (tenant, contract), renewal in zip(zip(labels["tenant_id"], labels["contract_id"]), labels["renewal_contract_id"]):
        assert (renewal if isinstance(renewal, str) else "") == truth[(tenant, contract)]["renewal_contract_id"]
