"""The billing errors the rules cannot see (price drift, usage spikes): injected as the ground
truth states, invisible in what the rules compare (an invoice line equals its line item and
its metering), and changing nothing that does not depend on the affected line items.

``silent_pair`` is one company generated twice, without and with frequent silent errors; the
run without them shows the agreed prices and the true usage.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

AS_OF = date(2026, 10, 31)
CENT = Decimal("0.01")
SILENT = ("price_drift", "usage_spike")
# Entities that can depend on a line item's billing price or metering; the rest must not move.
DEPENDENT = ("subscription_line_items", "usage_events", "invoice_lines", "invoices", "payments",
             "credit_notes", "approval_events", "partner_settlements")
# Smallest metered step per metric (the generator meters in these units).
RESOLUTION = {"storage_gb": Decimal("0.01"), "device_hours": Decimal("0.01"),
              "messages": Decimal(1)}


def _amount(qty: Decimal, price: Decimal, discount: Decimal) -> Decimal:
    return (qty * price * (100 - discount) / 100).quantize(CENT, ROUND_HALF_UP)


def _rows(landing, entity: str) -> dict[tuple, dict]:
    keys = landing.contracts[entity].primary_key
    return {tuple(r[k] for k in keys): r for r in landing.frame(entity).to_dict("records")}


def _metered(landing) -> dict[tuple, Decimal]:
    """(tenant, line item, month) -> metered quantity, summed from the exported events."""
    usage = landing.frame("usage_events")
    out: dict[tuple, Decimal] = defaultdict(Decimal)
    for t, li, at, q in zip(usage["tenant_id"], usage["line_item_id"], usage["occurred_at"],
                            usage["quantity"]):
        out[(t, li, date(at.year, at.month, 1))] += q
    return dict(out)


def _truth(landing) -> list[dict]:
    return landing.truth_frame("billing_errors.csv").to_dict("records")


def _changed(before: dict, after: dict) -> set:
    assert before.keys() == after.keys()  # silent errors add or remove no row
    return {k for k in before if before[k] != after[k]}


def test_price_drift_bills_the_line_item_at_a_price_off_the_agreed_one(silent_pair) -> None:
    without, with_ = silent_pair
    agreed = _rows(without, "subscription_line_items")
    system = _rows(with_, "subscription_line_items")
    prices = _rows(without, "price_book_entries")
    lines = _rows(with_, "invoice_lines")
    truth = _truth(with_)
    drift = [t for t in truth if t["error_type"] == "price_drift"]
    assert len(drift) > 50
    up = down = list_priced = 0
    for t in drift:
        key = (t["tenant_id"], t["line_item_id"])
        li, before = system[key], agreed[key]
        assert li["billing_model"] == "recurring"
        ratio = li["unit_price"] / before["unit_price"]
        assert Decimal("0.59") <= ratio <= Decimal("0.91") or Decimal("1.09") <= ratio <= Decimal("1.41")
        up, down = up + (ratio > 1), down + (ratio < 1)
        if before["price_id"] is not None:  # signed at list price: the price book agrees
            assert before["unit_price"] == prices[(t["tenant_id"], before["price_id"])]["unit_price"]
            list_priced += 1
        line = lines[(t["tenant_id"], t["invoice_line_id"])]
        # what the rules compare: the invoice line is exactly its line item
        assert line["line_item_id"] == t["line_item_id"] and line["invoice_id"] == t["invoice_id"]
        assert line["unit_price"] == li["unit_price"] and line["quantity"] == li["quantity"]
        billed = _amount(li["quantity"], li["unit_price"], li["discount_pct"])
        assert Decimal(t["billed_amount"]) == line["amount"] == billed
        assert Decimal(t["expected_amount"]) == _amount(li["quantity"], before["unit_price"],
                                                        li["discount_pct"])
    assert up > 5 and down > 5 and list_priced > 5
    # A drifted line item differs from the agreed one in its price only, and every invoice
    # line it has is labelled: price drift, or the rule-visible error that also hit it.
    changed = _changed(agreed, system)
    assert {(t["tenant_id"], t["line_item_id"]) for t in drift} <= changed
    for key in changed:
        assert [f for f in system[key] if system[key][f] != agreed[key][f]] == ["unit_price"]
    labelled = {(t["tenant_id"], t["invoice_line_id"]) for t in truth if t["invoice_line_id"]}
    on_drifted = [k for k, line in lines.items() if (k[0], line["line_item_id"]) in changed]
    assert on_drifted and set(on_drifted) <= labelled


def test_usage_spike_bills_a_month_the_meter_inflated(silent_pair) -> None:
    without, with_ = silent_pair
    true_usage, metered = _metered(without), _metered(with_)
    items = _rows(with_, "subscription_line_items")
    lines = _rows(with_, "invoice_lines")
    usage = with_.frame("usage_events")
    metric_of = dict(zip(zip(usage["tenant_id"], usage["line_item_id"]), usage["metric"]))
    truth = _truth(with_)
    spikes = [t for t in truth if t["error_type"] == "usage_spike"]
    assert len(spikes) > 20
    for t in spikes:
        key = (t["tenant_id"], t["line_item_id"], date.fromisoformat(t["period_start"]))
        li = items[key[:2]]
        metric = metric_of[key[:2]]
        assert li["billing_model"] == "usage" and metric != "api_calls"
        line = lines[(t["tenant_id"], t["invoice_line_id"])]
        # what the rules compare: the invoice bills exactly what was metered
        assert line["quantity"] == metered[key] and line["unit_price"] == li["unit_price"]
        half = RESOLUTION[metric] / 2
        assert 3 * true_usage[key] - half <= metered[key] <= 8 * true_usage[key] + half
        assert Decimal(t["billed_amount"]) == line["amount"] == _amount(
            metered[key], li["unit_price"], li["discount_pct"])
        assert Decimal(t["expected_amount"]) == _amount(true_usage[key], li["unit_price"],
                                                        li["discount_pct"])
    # Only inflated months meter differently, and each one's invoice line is labelled.
    assert true_usage.keys() == metered.keys()
    changed = {k for k in metered if metered[k] != true_usage[k]}
    assert {(t["tenant_id"], t["line_item_id"], date.fromisoformat(t["period_start"]))
            for t in spikes} <= changed
    labelled = {(t["tenant_id"], t["invoice_line_id"]) for t in truth if t["invoice_line_id"]}
    for k, line in lines.items():
        if (k[0], line["line_item_id"], line["period_start"]) in changed:
            assert k in labelled, line


def test_silent_errors_change_only_what_depends_on_the_affected_line_items(silent_pair) -> None:
    without, with_ = silent_pair
    for entity in without.all_entities():
        if entity not in DEPENDENT:
            assert without.path(entity).read_bytes() == with_.path(entity).read_bytes(), entity
    for name in ("renewal_outcomes.csv", "dirty_rows.csv"):
        assert (without.truth / name).read_bytes() == (with_.truth / name).read_bytes(), name
    before = {e: _rows(without, e) for e in DEPENDENT}
    after = {e: _rows(with_, e) for e in DEPENDENT}
    changed = {e: _changed(before[e], after[e]) for e in DEPENDENT}

    events = changed["usage_events"]
    for key in events:
        diff = [f for f in after["usage_events"][key]
                if after["usage_events"][key][f] != before["usage_events"][key][f]]
        assert diff == ["quantity"]
    affected_items = changed["subscription_line_items"] | {
        (k[0], after["usage_events"][k]["line_item_id"]) for k in events}
    lines = after["invoice_lines"]
    assert changed["invoice_lines"] and all(
        (k[0], lines[k]["line_item_id"]) in affected_items for k in changed["invoice_lines"])
    affected_invoices = {(k[0], line["invoice_id"]) for k, line in lines.items()
                         if (k[0], line["line_item_id"]) in affected_items}
    assert changed["invoices"] and changed["invoices"] <= affected_invoices
    for entity in ("payments", "credit_notes"):
        assert all((k[0], after[entity][k]["invoice_id"]) in affected_invoices
                   for k in changed[entity]), entity
    objects = affected_invoices | changed["credit_notes"]
    assert all((k[0], after["approval_events"][k]["object_id"]) in objects
               for k in changed["approval_events"])
    invoices = after["invoices"]
    customers = _rows(with_, "customers")
    partners = {(t, customers[(t, invoices[(t, inv)]["customer_id"])]["partner_id"])
                for t, inv in affected_invoices}
    assert all((k[0], after["partner_settlements"][k]["partner_id"]) in partners
               for k in changed["partner_settlements"])

    # Ground truth: a row of another error changes only on an affected line item.
    def rows(landing, name: str) -> set[tuple]:
        return {tuple(r.values()) for r in landing.truth_frame(name).to_dict("records")}

    old, new = rows(without, "billing_errors.csv"), rows(with_, "billing_errors.csv")
    # columns: tenant_id, error_type, invoice_id, invoice_line_id, line_item_id, ...
    for row in old - new:
        assert (row[0], row[4]) in affected_items, row
    for row in new - old:
        assert row[1] in SILENT or (row[0], row[4]) in affected_items, row
    old, new = rows(without, "settlement_errors.csv"), rows(with_, "settlement_errors.csv")
    assert all((row[0], row[2]) in partners for row in old ^ new)


def test_silent_errors_come_at_their_configured_rates(silent_pair) -> None:
    """The pair is generated at 15 % of recurring line items drifted and 5 % of billed months of
    storage, messages and device-hours lines spiked."""
    without, with_ = silent_pair
    agreed = _rows(without, "subscription_line_items")
    recurring = [k for k, li in agreed.items() if li["billing_model"] == "recurring"]
    drifted = _changed(agreed, _rows(with_, "subscription_line_items"))
    assert 0.10 < len(drifted) / len(recurring) < 0.20
    usage = without.frame("usage_events")
    metric_of = dict(zip(zip(usage["tenant_id"], usage["line_item_id"]), usage["metric"]))
    true_usage, metered = _metered(without), _metered(with_)
    eligible = [k for k, q in true_usage.items()
                if metric_of[k[:2]] != "api_calls" and q > 0
                and (k[2].year, k[2].month) < (AS_OF.year, AS_OF.month)]
    spiked = [k for k in eligible if metered[k] != true_usage[k]]
    assert len(eligible) > 1000
    assert 0.035 < len(spiked) / len(eligible) < 0.065
    assert all(k in eligible for k in metered if metered[k] != true_usage[k])
