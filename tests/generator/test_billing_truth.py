"""Billing errors in the ground truth are real, attributable and at their configured rates;
every invoice line the truth does not name matches what contracts and usage say.

The billing system's line items and the metering are the reference here, as for the rules:
the two silent errors (price drift, usage spikes; tests/generator/test_silent_errors.py) sit in
that reference, so their lines bill it exactly and their expected amounts are checked there.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from generator.config import BillingErrorRates

AS_OF = date(2026, 10, 31)
CENT = Decimal("0.01")
# Errors seen by comparing invoice lines with line items and metering; the rest are silent.
RULE_VISIBLE_ERRORS = ("missed_invoice", "duplicate_invoice", "wrong_price", "under_billing",
                       "over_billing", "billed_before_activation", "late_invoice")
SILENT_ERRORS = ("price_drift", "usage_spike")
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def _amount(qty: Decimal, price: Decimal, discount: Decimal) -> Decimal:
    return (qty * price * (100 - discount) / 100).quantize(CENT, ROUND_HALF_UP)


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


class Books:
    """Expected billing rebuilt from the exported contracts, line items, usage and milestones."""

    def __init__(self, landing) -> None:
        self.contracts = {(r["tenant_id"], r["contract_id"]): r
                          for r in landing.frame("contracts").to_dict("records")}
        self.items = {(r["tenant_id"], r["line_item_id"]): r
                      for r in landing.frame("subscription_line_items").to_dict("records")}
        self.invoices = {(r["tenant_id"], r["invoice_id"]): r
                         for r in landing.frame("invoices").to_dict("records")}
        self.lines = landing.frame("invoice_lines").to_dict("records")
        usage = landing.frame("usage_events")
        self.metered: dict = defaultdict(Decimal)
        for t, li, at, q in zip(usage["tenant_id"], usage["line_item_id"], usage["occurred_at"],
                                usage["quantity"]):
            self.metered[(t, li, date(at.year, at.month, 1))] += q
        self.done = {(m["tenant_id"], m["line_item_id"]): m["completed_date"]
                     for m in landing.frame("milestones").to_dict("records")
                     if m["line_item_id"] and m["completed_date"]}
        truth = landing.truth_frame("billing_errors.csv")
        self.truth = truth.to_dict("records")
        self.errors_by_line = {(t["tenant_id"], t["invoice_line_id"]): t for t in self.truth
                               if t["invoice_line_id"]}

    def expected(self) -> dict[tuple, tuple[Decimal, date]]:
        """(tenant, line item, period start) -> (amount, due date) for everything due by as_of."""
        out = {}
        for (t, li_id), li in self.items.items():
            model = li["billing_model"]
            if model == "recurring":
                step = PERIOD_MONTHS[li["billing_period"]]
                start = li["start_date"]
                while start < li["end_date"] and start <= AS_OF:
                    out[(t, li_id, start)] = (_amount(li["quantity"], li["unit_price"],
                                                      li["discount_pct"]), start)
                    start = _add_months(start, step)
            elif model == "one_time" and li["start_date"] <= AS_OF:
                out[(t, li_id, li["start_date"])] = (
                    _amount(li["quantity"], li["unit_price"], li["discount_pct"]),
                    li["start_date"])
            elif model == "milestone" and (t, li_id) in self.done:
                when = self.done[(t, li_id)]
                out[(t, li_id, when)] = (_amount(li["quantity"], li["unit_price"],
                                                 li["discount_pct"]), when)
        for (t, li_id, month), qty in self.metered.items():
            li = self.items[(t, li_id)]
            due = _add_months(month, 1)
            if qty > 0 and due <= AS_OF:
                out[(t, li_id, month)] = (_amount(qty, li["unit_price"], li["discount_pct"]), due)
        return out


@pytest.fixture(scope="module")
def books(clean) -> Books:
    return Books(clean)


def test_unlabelled_invoice_lines_bill_exactly_what_is_expected(books: Books) -> None:
    expected = books.expected()
    billed = defaultdict(list)
    ad_hoc = 0
    for line in books.lines:
        key = (line["tenant_id"], line["line_item_id"], line["period_start"])
        inv = books.invoices[(line["tenant_id"], line["invoice_id"])]
        if line["line_item_id"] is None:  # ad-hoc sale outside any contract
            assert inv["contract_id"] is None and line["line_type"] == "one_time"
            ad_hoc += 1
            continue
        billed[key].append(line)
        if (line["tenant_id"], line["invoice_line_id"]) in books.errors_by_line:
            continue
        li = books.items[(line["tenant_id"], line["line_item_id"])]
        contract = books.contracts[(line["tenant_id"], li["contract_id"])]
        assert key in expected, line
        amount, due = expected[key]
        assert line["amount"] == amount and line["unit_price"] == li["unit_price"], line
        assert 0 <= (inv["invoice_date"] - due).days <= 3, (line, inv["invoice_date"], due)
        if li["billing_model"] != "milestone":  # services may complete before activation
            assert line["period_start"] >= contract["service_activated_date"]
        if li["billing_model"] == "usage":
            month = line["period_start"]
            assert line["quantity"] == books.metered[(line["tenant_id"], li["line_item_id"],
                                                      month)]
        else:
            assert line["quantity"] == li["quantity"]
        if li["billing_model"] == "recurring":
            assert line["period_end"] == _add_months(line["period_start"],
                                                     PERIOD_MONTHS[li["billing_period"]])
    # everything expected was billed, or is a missed invoice in the truth
    missed = {(t["tenant_id"], t["line_item_id"], date.fromisoformat(t["period_start"]))
              for t in books.truth if t["error_type"] == "missed_invoice"}
    for key in expected:
        assert (key in billed) != (key in missed), key
    assert ad_hoc > 0


def test_each_truth_row_is_visible_in_the_data(books: Books) -> None:
    lines = {(r["tenant_id"], r["invoice_line_id"]): r for r in books.lines}
    by_period = defaultdict(list)
    for r in books.lines:
        by_period[(r["tenant_id"], r["line_item_id"], r["period_start"])].append(r)
    expected = books.expected()
    seen = set()
    for t in books.truth:
        tenant, kind = t["tenant_id"], t["error_type"]
        li = books.items[(tenant, t["line_item_id"])]
        start = date.fromisoformat(t["period_start"])
        exp, billed = Decimal(t["expected_amount"]), Decimal(t["billed_amount"])
        assert t["currency"] == li["currency"] and t["customer_id"] == li["customer_id"]
        assert (tenant, t["line_item_id"], start, t["invoice_line_id"]) not in seen
        seen.add((tenant, t["line_item_id"], start, t["invoice_line_id"]))
        if kind == "missed_invoice":
            assert not t["invoice_id"] and not by_period[(tenant, t["line_item_id"], start)]
            assert expected[(tenant, t["line_item_id"], start)][0] == exp and billed == 0
            continue
        line = lines[(tenant, t["invoice_line_id"])]
        assert line["invoice_id"] == t["invoice_id"] and line["line_item_id"] == t["line_item_id"]
        inv = books.invoices[(tenant, t["invoice_id"])]
        if kind == "duplicate_invoice":
            twins = [x for x in by_period[(tenant, t["line_item_id"], start)]
                     if x["invoice_id"] != t["invoice_id"] and x["amount"] == line["amount"]]
            assert twins and billed == 2 * line["amount"]
            earlier = books.invoices[(tenant, twins[0]["invoice_id"])]
            assert earlier["invoice_date"] <= inv["invoice_date"]
            assert earlier["invoice_number"] != inv["invoice_number"]
        elif kind == "late_invoice":
            assert (inv["invoice_date"] - expected[(tenant, t["line_item_id"], start)][1]).days > 30
        elif kind == "billed_before_activation":
            contract = books.contracts[(tenant, li["contract_id"])]
            activated = contract["service_activated_date"]  # null: not activated by as_of
            assert (activated is None or start < activated) and exp == 0
            assert billed == line["amount"] > 0
        elif kind == "wrong_price":
            assert line["unit_price"] != li["unit_price"] and billed == line["amount"] != exp
        elif kind in ("under_billing", "over_billing"):
            if li["billing_model"] == "usage":
                reference = books.metered[(tenant, t["line_item_id"], start)]
            else:
                reference = li["quantity"]
            assert line["unit_price"] == li["unit_price"]
            assert (line["quantity"] < reference) == (kind == "under_billing")
            assert (billed < exp) == (kind == "under_billing") and billed == line["amount"]
        elif kind in SILENT_ERRORS:
            # the line bills its line item and metering exactly; only the truth knows better
            assert line["unit_price"] == li["unit_price"] and billed == line["amount"] != exp
            assert expected[(tenant, t["line_item_id"], start)][0] == billed
            assert li["billing_model"] == ("recurring" if kind == "price_drift" else "usage")
        else:
            raise AssertionError(kind)
        if kind not in ("billed_before_activation", *SILENT_ERRORS):
            assert expected[(tenant, t["line_item_id"], start)][0] == exp


def test_error_rates_match_the_configuration(books: Books) -> None:
    rates = BillingErrorRates()
    counts = defaultdict(int)
    for t in books.truth:
        counts[t["error_type"]] += 1
    invoices_with = defaultdict(set)
    for t in books.truth:
        invoices_with[t["error_type"]].add((t["tenant_id"], t["invoice_id"]))
    n_invoices = len(books.invoices)
    n_charges = len(books.expected())
    assert set(counts) == set(RULE_VISIBLE_ERRORS) | set(SILENT_ERRORS)
    for kind in ("duplicate_invoice", "late_invoice"):
        observed = len(invoices_with[kind]) / n_invoices
        assert 0.4 * getattr(rates, kind) < observed < 1.8 * getattr(rates, kind), kind
    for kind in ("missed_invoice", "wrong_price"):
        observed = counts[kind] / n_charges
        assert 0.5 * getattr(rates, kind) < observed < 1.6 * getattr(rates, kind), kind
    for kind in ("under_billing", "over_billing"):
        observed = counts[kind] / n_charges
        assert 0.2 * getattr(rates, kind) < observed < 1.3 * getattr(rates, kind), kind
    # Eligible: original recurring lines of new contracts whose activation came after the
    # planned start (the first of the month on or after signing), so the term was pushed back.
    eligible = set()
    for (t, li_id), li in books.items.items():
        c = books.contracts[(t, li["contract_id"])]
        signed = c["signed_date"]
        planned = signed if signed.day == 1 else _add_months(signed.replace(day=1), 1)
        if (c["contract_type"] == "new" and li["billing_model"] == "recurring"
                and li["amendment_id"] is None and li["start_date"] == c["start_date"]
                and planned < c["start_date"] and planned <= AS_OF):
            eligible.add((t, li_id))
    hit = {(t["tenant_id"], t["line_item_id"]) for t in books.truth
           if t["error_type"] == "billed_before_activation"}
    assert hit <= eligible
    assert 0.4 * rates.billed_before_activation < len(hit) / len(eligible) \
        < 1.6 * rates.billed_before_activation


def test_credit_notes_follow_some_errors(clean, books: Books) -> None:
    notes = clean.frame("credit_notes")
    reasons = set(notes["reason"])
    assert {"billing_error", "duplicate"} & reasons and "service_credit" in reasons
    erroneous = {(t["tenant_id"], t["invoice_id"]) for t in books.truth
                 if t["error_type"] in ("over_billing", "duplicate_invoice", "wrong_price",
                                        "billed_before_activation")}
    for t, inv, reason in zip(notes["tenant_id"], notes["invoice_id"], notes["reason"]):
        if reason in ("billing_error", "duplicate"):
            assert (t, inv) in erroneous
