"""Referential integrity and lifecycle order of the clean output, computed from the files."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from models import load_contracts

AS_OF = date(2026, 10, 31)
AS_OF_END = datetime(2026, 11, 1)


def _by_id(frame: pd.DataFrame, key: str) -> dict:
    return {(t, k): row for t, k, row in zip(frame["tenant_id"], frame[key],
                                             frame.to_dict("records"))}


def test_every_foreign_key_resolves(clean) -> None:
    """Independent of the validator: join each FK column against its parent's keys."""
    contracts = load_contracts()
    checked = 0
    for name, c in contracts.items():
        frame = clean.frame(name)
        for fk in c.foreign_keys:
            parent = contracts[fk.entity]
            if fk.entity == "tenants":
                keys = set(clean.frame("tenants")["tenant_id"])
                values = set(frame[fk.field])
            else:
                pf = clean.frame(fk.entity)
                keys = set(zip(pf["tenant_id"], pf[parent.key_field]))
                values = {(t, v) for t, v in zip(frame["tenant_id"], frame[fk.field])
                          if v is not None}
            assert values <= keys, (name, fk.field, sorted(values - keys)[:3])
            checked += 1
    assert checked >= 40


def test_nothing_happens_after_as_of(clean) -> None:
    event_dates = {
        "contracts": ["signed_date", "service_activated_date"],
        "contract_amendments": ["signed_date"], "invoices": ["invoice_date", "issued_at"],
        "payments": ["received_date"], "credit_notes": ["issued_date"],
        "usage_events": ["occurred_at", "ingested_at"],
        "support_tickets": ["opened_at", "first_response_at", "resolved_at"],
        "approval_events": ["occurred_at"], "receipts": ["received_date"],
        "stock_movements": ["moved_at"], "purchase_orders": ["ordered_date"],
        "device_deployments": ["committed_date", "deployed_date"],
        "milestones": ["completed_date"], "implementation_projects": ["actual_go_live_date"],
        "opportunities": ["created_date"], "customers": ["created_at"],
        "partner_settlements": ["settled_date"], "forecasts": ["submitted_date"],
        "fx_rates": ["rate_month"],
    }
    for entity, columns in event_dates.items():
        frame = clean.frame(entity)
        for col in columns:
            for v in frame[col].dropna():
                limit = AS_OF_END if isinstance(v, datetime) else AS_OF
                assert v < limit if isinstance(v, datetime) else v <= limit, (entity, col, v)


def test_contract_lifecycle_dates(clean) -> None:
    contracts = clean.frame("contracts")
    by_id = _by_id(contracts, "contract_id")
    renewals = 0
    for c in by_id.values():
        assert c["start_date"] < c["end_date"]
        months = (c["end_date"].year - c["start_date"].year) * 12 + (
            c["end_date"].month - c["start_date"].month)
        assert months == c["term_months"]
        if c["service_activated_date"] is not None:
            assert c["signed_date"] <= c["service_activated_date"] <= c["start_date"]
            assert c["status"] != "signed"
        else:
            assert c["status"] == "signed"
        if c["contract_type"] == "renewal":
            prior = by_id[(c["tenant_id"], c["renewed_from_contract_id"])]
            assert prior["end_date"] == c["start_date"]
            assert prior["customer_id"] == c["customer_id"]
            assert prior["status"] in ("renewed", "active")
            renewals += 1
        else:
            assert c["renewed_from_contract_id"] is None
        if c["end_date"] <= AS_OF:
            assert c["status"] in ("renewed", "expired")
    assert renewals > 20
    lags = [(c["service_activated_date"] - c["signed_date"]).days for c in by_id.values()
            if c["contract_type"] == "new" and c["service_activated_date"]]
    assert max(lags) >= 60 and sorted(lags)[len(lags) // 2] < 30  # most quick, some long


def test_line_items_sit_inside_their_contract(clean) -> None:
    contracts = _by_id(clean.frame("contracts"), "contract_id")
    lines = clean.frame("subscription_line_items")
    models = set()
    bundles = defaultdict(set)
    for li in lines.to_dict("records"):
        c = contracts[(li["tenant_id"], li["contract_id"])]
        assert li["customer_id"] == c["customer_id"] and li["currency"] == c["currency"]
        assert c["start_date"] <= li["start_date"] < li["end_date"] <= c["end_date"]
        assert (li["billing_period"] == "none") == (li["billing_model"] != "recurring")
        if li["billing_model"] == "recurring":
            assert li["billing_period"] == c["billing_frequency"]
        models.add(li["billing_model"])
        if li["bundle_id"]:
            bundles[(li["tenant_id"], li["bundle_id"])].add(li["billing_model"])
    assert models == {"recurring", "usage", "milestone", "one_time"}
    assert any(len(kinds) >= 3 for kinds in bundles.values())  # device, management, usage


def test_amendments_replace_lines_at_their_effective_date(clean) -> None:
    contracts = _by_id(clean.frame("contracts"), "contract_id")
    lines = clean.frame("subscription_line_items")
    amended = lines[lines["amendment_id"].notna()]
    amendments = _by_id(clean.frame("contract_amendments"), "amendment_id")
    kinds = set()
    for a in amendments.values():
        c = contracts[(a["tenant_id"], a["contract_id"])]
        assert a["signed_date"] <= a["effective_date"]
        assert c["start_date"] < a["effective_date"] < c["end_date"]
        kinds.add(a["amendment_type"])
    for li in amended.to_dict("records"):
        a = amendments[(li["tenant_id"], li["amendment_id"])]
        assert li["start_date"] == a["effective_date"] and li["contract_id"] == a["contract_id"]
    assert {"upgrade", "price_change", "add_product"} <= kinds
    # every upgrade/downgrade/price change ends an old line on its effective date
    ends = set(zip(lines["tenant_id"], lines["contract_id"], lines["end_date"]))
    for a in amendments.values():
        if a["amendment_type"] in ("upgrade", "downgrade", "price_change", "remove_product"):
            assert (a["tenant_id"], a["contract_id"], a["effective_date"]) in ends


def test_invoice_headers_add_up(clean) -> None:
    invoices = clean.frame("invoices")
    lines = clean.frame("invoice_lines")
    sums: dict = defaultdict(Decimal)
    for t, i, amount in zip(lines["tenant_id"], lines["invoice_id"], lines["amount"]):
        sums[(t, i)] += amount
    contracts = _by_id(clean.frame("contracts"), "contract_id")
    for inv in invoices.to_dict("records"):
        key = (inv["tenant_id"], inv["invoice_id"])
        assert inv["subtotal"] == sums[key], key
        assert inv["total_amount"] == inv["subtotal"] + inv["tax_amount"]
        assert inv["due_date"] >= inv["invoice_date"]
        assert inv["issued_at"].date() == inv["invoice_date"]
        if inv["contract_id"] is not None:  # ad-hoc invoices have none
            contract = contracts[(inv["tenant_id"], inv["contract_id"])]
            assert inv["currency"] == contract["currency"]
            assert inv["customer_id"] == contract["customer_id"]
    assert (lines["period_start"] < lines["period_end"]).all()
    for row in lines.to_dict("records"):  # amount = quantity x price less a discount
        gross = (row["quantity"] * row["unit_price"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert 0 <= row["amount"] <= gross
    assert len(invoices) > 1000


def test_payments_and_credit_notes_follow_their_invoice(clean) -> None:
    invoices = _by_id(clean.frame("invoices"), "invoice_id")
    paid: dict = defaultdict(Decimal)
    statuses = set()
    for p in clean.frame("payments").to_dict("records"):
        inv = invoices[(p["tenant_id"], p["invoice_id"])]
        assert p["received_date"] >= inv["invoice_date"]
        assert p["currency"] == inv["currency"] and p["customer_id"] == inv["customer_id"]
        if p["status"] == "succeeded":
            paid[(p["tenant_id"], p["invoice_id"])] += p["amount"]
        statuses.add(p["status"])
    assert {"succeeded", "failed"} <= statuses
    credited: dict = defaultdict(Decimal)
    for n in clean.frame("credit_notes").to_dict("records"):
        inv = invoices[(n["tenant_id"], n["invoice_id"])]
        assert n["issued_date"] >= inv["invoice_date"] and n["amount"] <= inv["subtotal"]
        if n["status"] != "void":
            credited[(n["tenant_id"], n["invoice_id"])] += n["amount"]
    late = 0
    for key, inv in invoices.items():
        assert paid[key] <= inv["total_amount"]
        if inv["status"] == "paid" and inv["total_amount"] > 0:
            assert paid[key] + credited[key] >= inv["total_amount"]
        if inv["status"] == "open":
            assert paid[key] == 0
        if inv["status"] == "partially_paid":
            assert 0 < paid[key] < inv["total_amount"]
        late += inv["status"] in ("open", "partially_paid") and inv["due_date"] < AS_OF
    assert late > 0  # some receivables are overdue


def test_procurement_chain(clean) -> None:
    pos = _by_id(clean.frame("purchase_orders"), "po_id")
    received: dict = defaultdict(int)
    late = partial = 0
    for r in clean.frame("receipts").to_dict("records"):
        po = pos[(r["tenant_id"], r["po_id"])]
        assert r["item_id"] == po["item_id"] and r["received_date"] >= po["ordered_date"]
        received[(r["tenant_id"], r["po_id"])] += r["quantity_received"]
        late += r["received_date"] > po["expected_date"] + timedelta(days=7)
    for key, po in pos.items():
        assert po["ordered_date"] <= po["expected_date"]
        assert received[key] <= po["quantity"]
        assert (po["status"] == "received") == (received[key] == po["quantity"])
        partial += po["status"] == "partially_received"
    assert late > 0
    # stock on hand never goes negative, item by item, in time order
    moves = clean.frame("stock_movements").sort_values(["moved_at", "movement_id"])
    level: dict = defaultdict(int)
    for t, item, q in zip(moves["tenant_id"], moves["item_id"], moves["quantity"]):
        level[(t, item)] += q
        assert level[(t, item)] >= 0, (t, item)
    kinds = set(moves["movement_type"])
    assert {"receipt", "deployment", "adjustment"} <= kinds


def test_device_deployments(clean) -> None:
    lines = _by_id(clean.frame("subscription_line_items"), "line_item_id")
    items = _by_id(clean.frame("inventory_items"), "item_id")
    projects = _by_id(clean.frame("implementation_projects"), "project_id")
    deps = clean.frame("device_deployments").to_dict("records")
    unbilled = 0
    for d in deps:
        if d["deployed_date"] is not None:
            assert d["committed_date"] <= d["deployed_date"]
            assert d["status"] in ("deployed", "returned")
        else:
            assert d["status"] in ("committed", "cancelled")
        project = projects[(d["tenant_id"], d["project_id"])]
        assert project["contract_id"] == d["contract_id"]
        if d["line_item_id"] is None:
            unbilled += 1
            continue
        li = lines[(d["tenant_id"], d["line_item_id"])]
        assert li["product_id"] == items[(d["tenant_id"], d["item_id"])]["product_id"]
        assert li["quantity"] == d["quantity"] and li["bundle_id"]
    assert deps and unbilled >= 1


def test_projects_and_milestones(clean) -> None:
    projects = _by_id(clean.frame("implementation_projects"), "project_id")
    lines = _by_id(clean.frame("subscription_line_items"), "line_item_id")
    slipped = 0
    for p in projects.values():
        assert p["start_date"] <= p["planned_go_live_date"]
        if p["actual_go_live_date"]:
            assert p["status"] == "live" and p["actual_go_live_date"] >= p["start_date"]
            slipped += (p["actual_go_live_date"] - p["planned_go_live_date"]).days > 14
    assert slipped > 0
    by_project = defaultdict(list)
    for m in clean.frame("milestones").to_dict("records"):
        by_project[(m["tenant_id"], m["project_id"])].append(m)
        assert m["is_billable"] == (m["line_item_id"] is not None) == (m["amount"] is not None)
        if m["line_item_id"]:
            li = lines[(m["tenant_id"], m["line_item_id"])]
            assert li["billing_model"] == "milestone" and m["amount"] == li["unit_price"]
        assert (m["completed_date"] is not None) == (m["status"] == "completed")
    for ms in by_project.values():
        ms.sort(key=lambda m: m["sequence"])
        assert [m["sequence"] for m in ms] == list(range(1, len(ms) + 1))
        done = [m["completed_date"] for m in ms if m["completed_date"]]
        assert done == sorted(done)


def test_tickets_and_usage_timestamps(clean) -> None:
    for t in clean.frame("support_tickets").to_dict("records"):
        if t["first_response_at"]:
            assert t["opened_at"] <= t["first_response_at"]
        if t["resolved_at"]:
            assert t["first_response_at"] <= t["resolved_at"]
            assert t["status"] in ("resolved", "closed")
    usage = clean.frame("usage_events")
    assert (usage["occurred_at"] <= usage["ingested_at"]).all()
    lines = _by_id(clean.frame("subscription_line_items"), "line_item_id")
    for t, li_id, at in zip(usage["tenant_id"], usage["line_item_id"], usage["occurred_at"]):
        li = lines[(t, li_id)]
        assert li["billing_model"] == "usage"
        assert li["start_date"] <= at.date() < li["end_date"]


def test_fx_rates_cover_every_pair_in_use(clean) -> None:
    fx = clean.frame("fx_rates")
    rates = {(t, m, f, to): r for t, m, f, to, r in zip(
        fx["tenant_id"], fx["rate_month"], fx["from_currency"], fx["to_currency"], fx["rate"])}
    tenants = {t["tenant_id"]: t for t in clean.frame("tenants").to_dict("records")}
    used = defaultdict(set)
    for entity, col in (("customers", "billing_currency"), ("vendors", "currency"),
                        ("partners", "currency"), ("contracts", "currency")):
        f = clean.frame(entity)
        for t, cur in zip(f["tenant_id"], f[col]):
            used[t].add(cur)
    months = [date(y, m, 1) for y in range(2023, 2027) for m in range(1, 13)
              if date(y, m, 1) <= AS_OF]
    for t, currencies in used.items():
        rep = tenants[t]["reporting_currency"]
        for m in months:
            for cur in currencies:
                if cur != rep:
                    assert rates[(t, m, cur, rep)] > 0
                if cur != "USD":
                    assert rates[(t, m, cur, "USD")] > 0
                if cur not in (rep, "USD") and rep != "USD":
                    via = rates[(t, m, cur, rep)] * rates[(t, m, rep, "USD")]
                    assert abs(via / rates[(t, m, cur, "USD")] - 1) < Decimal("0.000001")
    # rates move month to month but stay plausible
    eur = [r for (t, m, f, to), r in sorted(rates.items()) if f == "EUR" and to == "USD"]
    if eur:
        assert len(set(eur)) > 10 and Decimal("0.8") < min(eur) and max(eur) < Decimal("1.4")


def test_partner_settlements_and_forecasts(clean) -> None:
    partners = _by_id(clean.frame("partners"), "partner_id")
    truth = clean.truth_frame("settlement_errors.csv")
    wrong = set(zip(truth["tenant_id"], truth["settlement_id"]))
    settlements = clean.frame("partner_settlements").to_dict("records")
    assert settlements
    for s in settlements:
        p = partners[(s["tenant_id"], s["partner_id"])]
        exact = (s["reported_revenue"] * s["commission_pct"] / 100).quantize(
            Decimal("0.01"), ROUND_HALF_UP)
        correct = s["commission_pct"] == p["commission_pct"] and s["commission_amount"] == exact
        assert correct != ((s["tenant_id"], s["settlement_id"]) in wrong), s
        assert s["currency"] == p["currency"]
    forecasts = clean.frame("forecasts")
    assert set(forecasts["metric"]) == {"bookings", "revenue"}
    per_key = forecasts.groupby(["tenant_id", "forecast_month", "metric", "segment"]).size()
    assert (per_key == 1).all()
    assert (forecasts["submitted_date"] < forecasts["forecast_month"]).all()
