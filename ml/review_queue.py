"""One ranked billing review queue: the rule-based exceptions and the anomaly model together.

An item is an invoice line, or, for a missed invoice (nothing was issued), the line item and
period that should have been billed. A line that a rule names and the model flags is one item
with ``source = 'both'``; several rules on one line (a late invoice at a wrong price) are one
item with every rule's reason.

Ranking: ``priority_score = rule + anomaly_score`` where ``rule`` is 1 when a rule names the
item (rules compare with the contract and the metering, so they are checks rather than
suspicions) and ``anomaly_score`` (0..1) is the isolation forest's score of the line (0 for a
missed invoice, which has no line). Rule items come first, those the model also finds unusual
at the top; model-only items follow by score. Ties go to the larger amount at stake in
reporting currency. The model puts forward the lines it scores at least ``MODEL_THRESHOLD``
with a deviation that qualifies on its own, and may add at most ``MODEL_SHARE`` of each
tenant's lines beyond the rules' items, highest scores first (see ``ml.billing_anomalies``), so
it cannot flood the queue.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from foundation.warehouse import Warehouse, registered
from ml.billing_anomalies import (
    MODEL_SHARE,
    MODEL_THRESHOLD,
    MissingTablesError,
    score_invoice_lines,
)
from ml.feature_models import read_feature_model

# Written after each dbt build, so it lives in the ML steps' own schema, declared to dbt as the
# source `ml` (dbt_project/models/marts/ml/_ml__sources.yml).
QUEUE_TABLE = "ml.billing_review_queue"
# Column name -> DuckDB type of the written table (the order is the table's).
QUEUE_COLUMNS = {
    "priority_rank": "integer",
    "tenant_id": "varchar",
    "customer_id": "varchar",
    "invoice_id": "varchar",
    "invoice_line_id": "varchar",
    "line_item_id": "varchar",
    "product_name": "varchar",
    "period_start": "date",
    "amount": "decimal(18, 2)",
    "currency": "varchar",
    "amount_at_stake": "decimal(18, 2)",
    "reporting_currency": "varchar",
    "amount_at_stake_reporting": "decimal(18, 2)",
    "source": "varchar",
    "rule_types": "varchar",
    "suspected_error": "varchar",
    "reasons": "varchar",
    "anomaly_score": "double",
    "priority_score": "double",
    "as_of": "date",
}

RULE_WORDS = {
    "missed_invoice": "missed invoice", "duplicate_invoice": "duplicate invoice",
    "billed_before_activation": "billed before activation", "wrong_price": "wrong price",
    "under_billing": "under-billing", "over_billing": "over-billing",
    "late_invoice": "late invoice",
}

RULES_MODEL = "int_billing_exceptions_to_review"


def _item_key(frame: pd.DataFrame) -> pd.Series:
    """An invoice line, or the line item and period of a missed invoice (no line)."""
    by_line = "line|" + frame["tenant_id"] + "|" + frame["invoice_line_id"].fillna("")
    by_period = ("period|" + frame["tenant_id"] + "|" + frame["line_item_id"].fillna("") + "|"
                 + frame["period_start"].astype(str))
    return by_line.where(frame["invoice_line_id"].notna(), by_period)


def _rule_reason(row: pd.Series) -> str:
    kind = row["exception_type"]
    currency = row["currency"]
    detail = {
        "missed_invoice": f"{row['expected_amount']:,.2f} {currency} expected, nothing billed",
        "duplicate_invoice": "the period was already billed",
        "billed_before_activation": "the service was not active in the period",
        "wrong_price": f"unit price {row['billed_unit_price']:,.4f}, contract "
                       f"{row['expected_unit_price']:,.4f}",
        "under_billing": f"billed {row['billed_amount']:,.2f}, expected "
                         f"{row['expected_amount']:,.2f} {currency}",
        "over_billing": f"billed {row['billed_amount']:,.2f}, expected "
                        f"{row['expected_amount']:,.2f} {currency}",
        "late_invoice": f"invoiced {row['days_invoiced_after_due']:.0f} days after due",
    }[kind]
    return f"rule: {RULE_WORDS[kind]} ({detail})"


def _rule_at_stake(rules: pd.DataFrame) -> pd.Series:
    """Money a rule puts in question: the invoice's amount for a late invoice (cash in
    question), otherwise the gap between billed and expected (a duplicate: the second line)."""
    gap = (rules["billed_amount"] - rules["expected_amount"]).abs()
    return rules["billed_amount"].where(rules["exception_type"] == "late_invoice", gap)


def load_rule_items(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """The rule-based exceptions due by ``as_of`` (the dbt model
    ``intermediate.int_billing_exceptions_to_review``), one row per queue item."""
    rules = read_feature_model(
        con, RULES_MODEL, as_of,
        order_by=("tenant_id", "line_item_id", "period_start", "exception_type"),
        error=MissingTablesError)
    rules["item_key"] = _item_key(rules)
    rules["reason"] = [_rule_reason(row) for _, row in rules.iterrows()]
    rules["rule_at_stake"] = _rule_at_stake(rules)
    rules["rule_at_stake_reporting"] = (rules["rule_at_stake"]
                                        * rules["fx_rate_to_reporting"]).round(2)
    return rules.groupby("item_key", sort=True).agg(
        tenant_id=("tenant_id", "first"), customer_id=("customer_id", "first"),
        invoice_id=("invoice_id", "first"), invoice_line_id=("invoice_line_id", "first"),
        line_item_id=("line_item_id", "first"), product_name=("product_name", "first"),
        period_start=("period_start", "first"), currency=("currency", "first"),
        reporting_currency=("reporting_currency", "first"),
        rule_types=("exception_type", lambda kinds: ",".join(sorted(kinds))),
        rule_reasons=("reason", "; ".join),
        # Several rules on one line describe the same money: count it once.
        rule_at_stake=("rule_at_stake", "max"),
        rule_at_stake_reporting=("rule_at_stake_reporting", "max"),
    ).reset_index()


def cap_per_tenant(lines: pd.DataFrame, candidates: pd.Series, share: float) -> pd.Series:
    """Of the ``candidates`` rows, those among the ceil(share x the tenant's lines) highest
    scores of their tenant."""
    size = lines.groupby("tenant_id")["anomaly_score"].transform("size")
    rank = lines["anomaly_score"].where(candidates).groupby(lines["tenant_id"]).rank(
        method="first", ascending=False)
    return candidates & (rank <= np.ceil(share * size))


def build_review_queue(con: duckdb.DuckDBPyConnection, as_of: date,
                       share: float = MODEL_SHARE,
                       threshold: float = MODEL_THRESHOLD) -> pd.DataFrame:
    """The ranked queue as of ``as_of``: one row per item, columns ``QUEUE_COLUMNS``."""
    lines = score_invoice_lines(con, as_of, threshold)
    lines["item_key"] = _item_key(lines)
    rules = load_rule_items(con, as_of)

    added = cap_per_tenant(lines, lines["is_model_flagged"]
                           & ~lines["item_key"].isin(rules["item_key"]), share)
    # A line the model flags beyond its share stays unflagged: the queue shows what it adds.
    lines["is_model_flagged"] = lines["is_model_flagged"] & (
        lines["item_key"].isin(rules["item_key"]) | added)
    model_only = lines[added]
    identity = ["item_key", "tenant_id", "customer_id", "invoice_id", "invoice_line_id",
                "line_item_id", "product_name", "period_start", "currency", "reporting_currency"]
    items = pd.concat([rules[identity], model_only[identity]], ignore_index=True)
    items = items.merge(rules.drop(columns=identity[1:]), on="item_key", how="left")
    line_fields = ["item_key", "amount", "anomaly_score", "model_reasons", "suspected_error",
                   "is_model_flagged", "amount_at_stake", "amount_at_stake_reporting"]
    items = items.merge(lines[line_fields].rename(columns={
        "amount_at_stake": "model_at_stake",
        "amount_at_stake_reporting": "model_at_stake_reporting"}), on="item_key", how="left")

    has_rule = items["rule_types"].notna()
    by_model = items["is_model_flagged"].fillna(False).astype(bool)
    items["source"] = "model"
    items.loc[has_rule, "source"] = "rule"
    items.loc[has_rule & by_model, "source"] = "both"
    items["suspected_error"] = items["suspected_error"].where(by_model, None)
    items["reasons"] = [
        "; ".join(part for part in (rule_text if isinstance(rule_text, str) else "",
                                    model_text if flagged else "") if part)
        for rule_text, model_text, flagged in zip(items["rule_reasons"], items["model_reasons"],
                                                 by_model)
    ]
    # A rule's amount is exact (it compares with the contract); the model's is an estimate.
    items["amount_at_stake"] = items["rule_at_stake"].where(has_rule, items["model_at_stake"])
    items["amount_at_stake_reporting"] = items["rule_at_stake_reporting"].where(
        has_rule, items["model_at_stake_reporting"])
    items["anomaly_score"] = items["anomaly_score"].astype(float)
    items["priority_score"] = has_rule.astype(float) + items["anomaly_score"].fillna(0.0)
    items["as_of"] = as_of

    items = items.sort_values(
        ["priority_score", "amount_at_stake_reporting", "amount_at_stake", "item_key"],
        ascending=[False, False, False, True], na_position="last", kind="stable")
    items["priority_rank"] = range(1, len(items) + 1)
    return items[list(QUEUE_COLUMNS)].reset_index(drop=True)


def write_review_queue(warehouse: Warehouse, frame: pd.DataFrame) -> int:
    """Replace ``ml.billing_review_queue`` with ``frame`` in one swap; returns the row count.

    The warehouse writer works on a copy that replaces the file only when complete, so readers
    see the old queue or the new one, never a mix; writing the same frame twice gives the same
    table.
    """
    missing = [name for name in QUEUE_COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"review queue frame lacks columns: {', '.join(missing)}")
    typed = ", ".join(f"cast({name} as {sql_type}) as {name}" for name, sql_type in QUEUE_COLUMNS.items())
    with warehouse.writer() as con:
        con.execute(f"create schema if not exists {QUEUE_TABLE.split('.')[0]}")
        with registered(con, "review_queue_frame", frame[list(QUEUE_COLUMNS)]):
            con.execute(f"create or replace table {QUEUE_TABLE} as "
                        f"select {typed} from review_queue_frame order by priority_rank")
        return int(con.execute(f"select count(*) from {QUEUE_TABLE}").fetchall()[0][0])
