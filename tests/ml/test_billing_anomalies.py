"""Billing anomaly scores on a tiny hand-built warehouse where the unusual lines are known.

Tenant TEN-1 (reporting currency USD) sells "Seats" (recurring, monthly, 10.00 a seat) and
"API Calls" (usage, 0.50 a call). Four customers:

* CUS-1: 5 seats, twelve monthly lines of 50.00, except July 2026, billed for 12 seats
  (120.00): the spike that must rank first;
* CUS-2: 5 seats, twelve lines of 50.00, April billed twice (a second invoice); and API Calls
  metered 100 calls a month, billed 100 except May, billed 130;
* CUS-3: 5 seats in EUR, twelve lines of 50.00 except March at 11.00 a seat (55.00);
* CUS-4: 5 seats, two lines only (50.00 then 70.00), so a reference that counted the line
  itself would sit between the two.

Every line item above is signed at the list price (10.00 a seat, 0.50 a call) and the CRM's
contract values add up (12 months x 50.00 = 600.00). With ``silent=True`` come the errors the
rules cannot see, each invoice billing its line item and its metering exactly:

* CUS-5: the line item says 12.00 a seat although it names the 10.00 list price;
* CUS-6: a custom-priced line item at 7.20 a seat, in a contract the CRM values at 1,740.00:
  5 seats x 9.00 x 12 months plus an SSO line at its 100.00 list price (1,200.00, never
  invoiced here); only the seat line can explain the gap, at 9.00;
* CUS-7: seats at 10.00 (list) from January to June, then an amended line item at 7.50;
* CUS-2's API calls meter 500 calls in September (100 in every other month), billed as metered.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_models import build_ml_models

from ml.billing_anomalies import (
    FEATURES,
    PRICE_TOLERANCE,
    USUAL_PRICE_RISE,
    MissingTablesError,
    flag_lines,
    roll_up_invoices,
    score_invoice_lines,
)

AS_OF = date(2026, 12, 31)
TENANT = "TEN-1"


def _month(index: int) -> date:
    """Month ``index`` (0 = January 2026)."""
    return date(2026 + index // 12, index % 12 + 1, 1)


def _seat_lines(customer: str, line_item: str, currency: str, months: int = 12,
                overrides: dict[int, tuple[float, float]] | None = None) -> list[dict]:
    """Monthly Seats lines invoiced on the period start; overrides: month -> (quantity, price)."""
    rows = []
    for m in range(months):
        quantity, price = (overrides or {}).get(m, (5.0, 10.0))
        rows.append({
            "invoice_line_id": f"INL-{customer[-1]}S{m:02d}", "invoice_id": f"INV-{customer[-1]}S{m:02d}",
            "customer_id": customer, "contract_id": f"CON-{customer[-1]}", "line_item_id": line_item,
            "product_id": "PRD-SEATS", "line_type": "recurring", "currency": currency,
            "quantity": quantity, "unit_price": price, "amount": round(quantity * price, 2),
            "period_start": _month(m), "period_end": _month(m + 1), "invoice_date": _month(m),
        })
    return rows


def _usage_lines(over_billed_month: int | None, spike_month: int | None = None) -> list[dict]:
    rows = []
    for m in range(12):
        billed = 130.0 if m == over_billed_month else 500.0 if m == spike_month else 100.0
        rows.append({
            "invoice_line_id": f"INL-2U{m:02d}", "invoice_id": f"INV-2U{m:02d}", "customer_id": "CUS-2",
            "contract_id": "CON-2", "line_item_id": "SLI-2U", "product_id": "PRD-API",
            "line_type": "usage", "currency": "USD", "quantity": billed, "unit_price": 0.5,
            "amount": billed * 0.5, "period_start": _month(m), "period_end": _month(m + 1),
            "invoice_date": _month(m + 1),
        })
    return rows


SPIKE_MONTH = 8  # September


def _silent_lines() -> list[dict]:
    every_month = range(12)
    later = _seat_lines("CUS-7", "SLI-7B", "USD", overrides={m: (5.0, 7.5) for m in every_month})
    return (_seat_lines("CUS-5", "SLI-5S", "USD", overrides={m: (5.0, 12.0) for m in every_month})
            + _seat_lines("CUS-6", "SLI-6S", "USD", overrides={m: (5.0, 7.2) for m in every_month})
            + _seat_lines("CUS-7", "SLI-7A", "USD", months=6)
            + [row for row in later if row["period_start"] >= _month(6)])


def invoice_lines(spike_only: bool, silent: bool = False) -> pd.DataFrame:
    """The lines described above; ``spike_only``: without the wrong price, the over-billed
    usage and the duplicate, so that the July spike is the one unusual line."""
    rows = (_seat_lines("CUS-1", "SLI-1S", "USD", overrides={6: (12.0, 10.0)})
            + _seat_lines("CUS-2", "SLI-2S", "USD")
            + _seat_lines("CUS-3", "SLI-3S", "EUR",
                          overrides={} if spike_only else {2: (5.0, 11.0)})
            + _seat_lines("CUS-4", "SLI-4S", "USD", months=2, overrides={1: (7.0, 10.0)})
            + _usage_lines(None if spike_only else 4, SPIKE_MONTH if silent else None)
            + (_silent_lines() if silent else []))
    if not spike_only:
        duplicate = dict(next(r for r in rows if r["invoice_line_id"] == "INL-2S03"))
        duplicate.update(invoice_line_id="INL-2S03-DUP", invoice_id="INV-2S03-DUP",
                         invoice_date=date(2026, 4, 9))
        rows.append(duplicate)
    # issued after the as-of date: not yet known, must be left out
    rows.append({**rows[0], "invoice_line_id": "INL-LATER", "invoice_id": "INV-LATER",
                 "period_start": date(2027, 1, 1), "period_end": date(2027, 2, 1),
                 "invoice_date": date(2027, 1, 1)})
    frame = pd.DataFrame(rows)
    frame["tenant_id"] = TENANT
    frame["is_ad_hoc"] = False
    return frame


def _line_item(line_item: str, customer: int, product: str, *, quantity: float | None = 5.0,
               unit_price: float = 10.0, price_id: str | None = "PRC-SEATS-USD",
               currency: str = "USD", start: date = date(2026, 1, 1),
               end: date = date(2027, 1, 1), amendment: str | None = None) -> dict:
    recurring = product != "PRD-API"
    return {"tenant_id": TENANT, "line_item_id": line_item, "contract_id": f"CON-{customer}",
            "customer_id": f"CUS-{customer}", "product_id": product,
            "billing_model": "recurring" if recurring else "usage",
            "billing_period": "monthly" if recurring else "none", "currency": currency,
            "price_id": price_id, "amendment_id": amendment, "quantity": quantity,
            "unit_price": unit_price, "discount_pct": 0.0, "start_date": start, "end_date": end}


def _line_items(silent: bool) -> pd.DataFrame:
    rows = [_line_item(f"SLI-{n}S", n, "PRD-SEATS",
                       price_id="PRC-SEATS-EUR" if n == 3 else "PRC-SEATS-USD",
                       currency="EUR" if n == 3 else "USD") for n in range(1, 5)]
    rows.append(_line_item("SLI-2U", 2, "PRD-API", quantity=None, unit_price=0.5,
                           price_id="PRC-API"))
    if silent:
        rows += [
            _line_item("SLI-5S", 5, "PRD-SEATS", unit_price=12.0),
            _line_item("SLI-6S", 6, "PRD-SEATS", unit_price=7.2, price_id=None),
            _line_item("SLI-6X", 6, "PRD-SSO", quantity=1.0, unit_price=100.0,
                       price_id="PRC-SSO-USD"),
            _line_item("SLI-7A", 7, "PRD-SEATS", end=date(2026, 7, 1)),
            _line_item("SLI-7B", 7, "PRD-SEATS", unit_price=7.5, price_id=None,
                       start=date(2026, 7, 1), amendment="AMD-7"),
        ]
    return pd.DataFrame(rows)


def _price_book() -> pd.DataFrame:
    def entry(price_id: str, product: str, currency: str, period: str, unit_price: float) -> dict:
        return {"tenant_id": TENANT, "price_id": price_id, "product_id": product,
                "currency": currency, "billing_period": period, "unit_price": unit_price,
                "valid_from": date(2025, 1, 1), "valid_to": None}

    return pd.DataFrame([entry("PRC-SEATS-USD", "PRD-SEATS", "USD", "monthly", 10.0),
                         entry("PRC-SEATS-EUR", "PRD-SEATS", "EUR", "monthly", 10.0),
                         entry("PRC-SSO-USD", "PRD-SSO", "USD", "monthly", 100.0),
                         entry("PRC-API", "PRD-API", "USD", "none", 0.5)])


# An FX table with no rate (dbt's int_fx_rates_monthly, typed as it is).
NO_FX_RATES = ("create table intermediate.int_fx_rates_monthly (tenant_id varchar, rate_month date, "
               "from_currency varchar, to_currency varchar, rate decimal(18, 8))")


def build_tiny_warehouse(path: Path, *, exceptions: pd.DataFrame | None = None,
                         with_fx: bool = True, spike_only: bool = False,
                         silent: bool = False, build_models: bool = True) -> Path:
    """Write the tables the scores read (only the columns they read) to a DuckDB file, then
    build the dbt models the anomaly scores (and, with ``exceptions``, the rule items) read."""
    customers = range(1, 8 if silent else 5)
    # the CRM's contract values: 12 months of 5 seats at 10.00; CON-6 as described above
    contract_values = {n: 1740.0 if n == 6 else 600.0 for n in customers}
    con = duckdb.connect(str(path))
    try:
        for schema in ("marts", "staging", "intermediate"):
            con.execute(f"create schema {schema}")
        tables = {
            "marts.fct_invoice_lines": invoice_lines(spike_only, silent),
            "marts.fct_usage_daily": pd.DataFrame([
                {"tenant_id": TENANT, "line_item_id": "SLI-2U", "usage_month": _month(m),
                 "usage_date": date(_month(m).year, _month(m).month, day),
                 "quantity": 250.0 if silent and m == SPIKE_MONTH else 50.0}
                for m in range(12) for day in (3, 17)]),
            "marts.dim_contract": pd.DataFrame([
                {"tenant_id": TENANT, "contract_id": f"CON-{n}", "service_activated_date": date(2025, 12, 15)}
                for n in customers]),
            "marts.dim_product": pd.DataFrame([
                {"tenant_id": TENANT, "product_id": "PRD-SEATS", "product_name": "Seats"},
                {"tenant_id": TENANT, "product_id": "PRD-SSO", "product_name": "SSO"},
                {"tenant_id": TENANT, "product_id": "PRD-API", "product_name": "API Calls"}]),
            "marts.dim_tenant": pd.DataFrame([{"tenant_id": TENANT, "reporting_currency": "USD"}]),
            "staging.stg_billing__subscription_line_items": _line_items(silent),
            "staging.stg_billing__price_book_entries": _price_book(),
            "staging.stg_crm__contracts": pd.DataFrame([
                {"tenant_id": TENANT, "contract_id": f"CON-{n}", "term_months": 12,
                 "total_contract_value": contract_values[n]} for n in customers]),
        }
        if with_fx:
            tables["intermediate.int_fx_rates_monthly"] = pd.DataFrame([
                {"tenant_id": TENANT, "rate_month": _month(m), "from_currency": "EUR",
                 "to_currency": "USD", "rate": 1.1} for m in range(13)])
        if exceptions is not None:
            tables["marts.fct_billing_exceptions"] = exceptions
        for name, frame in tables.items():
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        if not with_fx:
            con.execute(NO_FX_RATES)
        # typed as the marts type them (pandas gives timestamps and may give NULL-typed columns)
        for name, column, sql_type in (
                ("staging.stg_billing__price_book_entries", "valid_to", "date"),
                ("staging.stg_billing__subscription_line_items", "price_id", "varchar"),
                ("staging.stg_billing__subscription_line_items", "amendment_id", "varchar")):
            con.execute(f"alter table {name} alter {column} type {sql_type}")
    finally:
        con.close()
    if build_models:
        models = ["int_invoice_line_anomaly_features"]
        if exceptions is not None:
            models.append("int_billing_exceptions_to_review")
        build_ml_models(path, AS_OF, select=models)
    return path


@pytest.fixture(scope="module")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Read only (a dbt build of the scores' model each: shared by the module's tests)."""
    return build_tiny_warehouse(tmp_path_factory.mktemp("tiny") / "tiny.duckdb")


def _scores(path: Path) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return score_invoice_lines(con, AS_OF).set_index("invoice_line_id")
    finally:
        con.close()


def test_the_injected_spike_ranks_first_with_its_reasons(tmp_path: Path) -> None:
    scores = _scores(build_tiny_warehouse(tmp_path / "spike.duckdb", spike_only=True))
    ranked = scores.sort_values("anomaly_score", ascending=False)
    assert ranked.index[0] == "INL-1S06"
    spike = scores.loc["INL-1S06"]
    # 120.00 against the other eleven months' 50.00; 12 seats against the 5 contracted
    assert spike["usual_amount"] == 50.0
    assert spike["amount_vs_usual"] == pytest.approx(np.log(2.4))
    assert spike["quantity_vs_contract"] == pytest.approx(np.log(12 / 5))
    assert spike["model_reasons"].split("; ")[:2] == [
        "quantity 2.4x the contracted quantity of Seats",
        "billed 2.4x the customer's usual amount for Seats",
    ]
    assert spike["suspected_error"] == "over_billing"
    assert spike["amount_at_stake"] == 70.0  # 120.00 billed, 5 x 10.00 contracted
    assert bool(spike["is_model_flagged"])
    # the lines with a deviation that qualifies on its own: the spike, and CUS-4's second line
    # (7 seats against the 5 contracted); every other line is as contracted
    assert sorted(scores.index[scores["is_model_flagged"]]) == ["INL-1S06", "INL-4S01"]


def test_the_reference_leaves_the_line_itself_out(tiny_warehouse: Path) -> None:
    scores = _scores(tiny_warehouse)
    assert scores.loc["INL-4S01", "usual_amount"] == 50.0  # not the median 60.00 of both lines
    assert scores.loc["INL-4S00", "usual_amount"] == 70.0


def test_price_usage_and_duplicate_deviations_are_measured_and_explained(tiny_warehouse: Path) -> None:
    scores = _scores(tiny_warehouse)
    wrong_price = scores.loc["INL-3S02"]
    assert wrong_price["price_vs_contract"] == pytest.approx(np.log(1.1))
    assert wrong_price["price_vs_price_book"] == pytest.approx(np.log(1.1))
    assert wrong_price["model_reasons"].startswith("unit price 10% above the contract price")
    assert wrong_price["suspected_error"] == "wrong_price"
    # 5.00 in EUR at 1.1 USD per EUR
    assert wrong_price["amount_at_stake_reporting"] == pytest.approx(5.5)

    usage = scores.loc["INL-2U04"]
    assert usage["usage_billed_vs_metered"] == pytest.approx(np.log(1.3))
    assert usage["model_reasons"] == "billed usage 30% above the metered usage of API Calls"
    assert usage["amount_at_stake"] == 15.0  # 30 calls at 0.50
    # usage is judged by its metering, not against its own history
    assert usage["amount_vs_usual"] == 0.0

    assert scores.loc["INL-2S03", "earlier_lines_same_period"] == 0
    second = scores.loc["INL-2S03-DUP"]
    assert second["earlier_lines_same_period"] == 1
    assert second["model_reasons"].startswith("billed 2 times for the same Seats period")
    assert second["amount_at_stake"] == 50.0  # a second bill is at stake in full

    ordinary = scores.loc["INL-1S03"]
    assert ordinary["model_reasons"] == ""
    assert pd.isna(ordinary["suspected_error"])


def test_lines_issued_after_the_as_of_date_are_left_out(tiny_warehouse: Path) -> None:
    scores = _scores(tiny_warehouse)
    assert "INL-LATER" not in scores.index
    assert len(scores) == 50  # December's usage is invoiced in January 2027


def test_same_data_gives_the_same_scores(tiny_warehouse: Path, tmp_path: Path) -> None:
    again = build_tiny_warehouse(tmp_path / "again.duckdb")
    first, second = _scores(tiny_warehouse), _scores(again)
    assert first.index.tolist() == second.index.tolist()
    np.testing.assert_array_equal(first["anomaly_score"].to_numpy(), second["anomaly_score"].to_numpy())
    assert first["model_reasons"].tolist() == second["model_reasons"].tolist()


def test_invoices_roll_up_their_most_unusual_line() -> None:
    lines = pd.DataFrame({
        "tenant_id": ["TEN-1"] * 3, "invoice_id": ["INV-A", "INV-A", "INV-B"],
        "invoice_line_id": ["L1", "L2", "L3"], "customer_id": ["C1", "C1", "C2"],
        "currency": ["USD"] * 3, "invoice_date": [date(2026, 1, 1)] * 3,
        "anomaly_score": [0.40, 0.70, 0.55], "is_model_flagged": [False, True, False],
        "model_reasons": ["", "unit price 10% above the contract price", ""],
        "amount": [100.0, 55.0, 20.0], "amount_at_stake": [0.0, 5.0, 0.0],
        "amount_at_stake_reporting": [0.0, 5.0, 0.0],
    })
    invoices = roll_up_invoices(lines).set_index("invoice_id")
    assert invoices.loc["INV-A", "anomaly_score"] == 0.70
    assert invoices.loc["INV-A", "most_unusual_line_id"] == "L2"
    assert invoices.loc["INV-A", "model_reasons"] == "unit price 10% above the contract price"
    assert invoices.loc["INV-A", "line_count"] == 2
    assert invoices.loc["INV-A", "flagged_lines"] == 1
    assert invoices.loc["INV-A", "amount"] == 155.0
    assert invoices.loc["INV-B", "most_unusual_line_id"] == "L3"
    assert invoices.loc["INV-B", "flagged_lines"] == 0


def test_without_fx_rates_amounts_stay_in_the_invoice_currency(tmp_path: Path) -> None:
    scores = _scores(build_tiny_warehouse(tmp_path / "no_fx.duckdb", with_fx=False))
    assert scores.loc["INL-1S06", "amount_at_stake_reporting"] == 70.0  # USD: no rate needed
    assert np.isnan(scores.loc["INL-3S02", "amount_at_stake_reporting"])  # EUR: no rate known


def test_a_missing_or_stale_model_is_named(tiny_warehouse: Path, tmp_path: Path) -> None:
    unbuilt = build_tiny_warehouse(tmp_path / "unbuilt.duckdb", build_models=False)
    not_built = (r"^no table intermediate.int_invoice_line_anomaly_features in the warehouse: "
                 r"build the dbt models \(`opsintel dbt build`\)$")
    with (duckdb.connect(str(unbuilt), read_only=True) as con,
          pytest.raises(MissingTablesError, match=not_built)):
        score_invoice_lines(con, AS_OF)
    stale = (r"^intermediate.int_invoice_line_anomaly_features was built as of 2026-12-31, "
             r"not 2026-12-30: set \$OPSINTEL_AS_OF_DATE")
    with (duckdb.connect(str(tiny_warehouse), read_only=True) as con,
          pytest.raises(MissingTablesError, match=stale)):
        score_invoice_lines(con, date(2026, 12, 30))


def test_the_dbt_model_holds_the_price_settings_of_the_features() -> None:
    sql = (Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "ml"
           / "int_invoice_line_anomaly_features.sql").read_text()
    assert f"{{%- set usual_price_rise = {USUAL_PRICE_RISE} -%}}" in sql
    assert f"{{%- set price_tolerance = {PRICE_TOLERANCE} -%}}" in sql


@pytest.fixture(scope="module")
def silent_scores(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return _scores(build_tiny_warehouse(tmp_path_factory.mktemp("silent") / "silent.duckdb",
                                        silent=True))


def test_a_line_item_off_its_list_price_is_found_although_the_invoice_matches_it(
        silent_scores: pd.DataFrame) -> None:
    line = silent_scores.loc["INL-5S03"]
    assert line["price_vs_contract"] == 0.0  # the invoice bills its line item exactly
    assert line["line_price_vs_list"] == pytest.approx(np.log(1.2))
    assert line["line_price_vs_contract_value"] == 0.0  # list-priced: the list vouches for it
    assert line["model_reasons"].startswith("line item price 20% above the list price it was signed at")
    assert line["suspected_error"] == "price_drift"
    assert line["amount_at_stake"] == 10.0  # 60.00 billed, 5 x 10.00 at the list price
    # every month of the line item carries it
    months = silent_scores.loc[[f"INL-5S{m:02d}" for m in range(12)], "line_price_vs_list"]
    np.testing.assert_allclose(months.to_numpy(), np.log(1.2))


def test_a_custom_price_is_held_to_the_contract_value(silent_scores: pd.DataFrame) -> None:
    line = silent_scores.loc["INL-6S00"]
    # the SSO line counts at its list price, so only the seats can close the gap: 1,740.00 is
    # 1,200.00 of SSO plus 5 seats x 12 months at 9.00, and the line item says 7.20
    assert line["unit_price_matching_contract_value"] == pytest.approx(9.0)
    assert line["line_price_vs_contract_value"] == pytest.approx(np.log(0.8))
    assert line["line_price_vs_list"] == 0.0  # no list price to compare with
    assert line["model_reasons"].startswith("line item price 20% below what the contract value implies")
    assert line["suspected_error"] == "price_drift"
    assert line["amount_at_stake"] == 9.0  # 36.00 billed, 5 x 9.00
    # lines whose contract adds up carry nothing
    assert silent_scores.loc["INL-1S03", "line_price_vs_contract_value"] == 0.0


def test_a_price_fall_from_the_previous_line_item_is_found(silent_scores: pd.DataFrame) -> None:
    later, earlier = silent_scores.loc["INL-7S08"], silent_scores.loc["INL-7S02"]
    assert later["previous_unit_price"] == 10.0 and pd.isna(earlier["previous_unit_price"])
    assert later["line_price_vs_previous"] == pytest.approx(np.log(0.75))
    # an amendment's line is not part of the contract as signed: the contract value is silent
    assert later["line_price_vs_contract_value"] == 0.0
    assert later["model_reasons"].startswith("line item price 25% below the customer's previous "
                                             "price for Seats")
    assert later["suspected_error"] == "price_drift"
    assert later["amount_at_stake"] == 12.5  # 37.50 billed, 5 x 10.00 before
    assert earlier["model_reasons"] == ""


def test_a_metered_spike_is_found_although_the_invoice_bills_the_metering(
        silent_scores: pd.DataFrame) -> None:
    spike = silent_scores.loc[f"INL-2U{SPIKE_MONTH:02d}"]
    assert spike["usage_billed_vs_metered"] == 0.0
    assert spike["neighbour_metered_quantity"] == 100.0
    assert spike["usage_vs_neighbours"] == pytest.approx(np.log(5.0))
    assert spike["model_reasons"] == "metered usage of API Calls 5.0x the months around it"
    assert spike["suspected_error"] == "usage_spike"
    assert spike["amount_at_stake"] == 200.0  # 400 calls over the usual 100, at 0.50
    # the months around it: their own neighbours' median is still 100 calls
    after = silent_scores.loc[f"INL-2U{SPIKE_MONTH + 1:02d}"]
    assert after["usage_vs_neighbours"] == 0.0 and after["model_reasons"] == ""


def test_a_usual_price_rise_from_the_previous_line_item_is_not_a_reason() -> None:
    from ml.billing_anomalies import _outside_usual_rise

    moves = np.log(np.array([1.0, 1.10, 1.15, 1.25, 0.9]))
    np.testing.assert_allclose(_outside_usual_rise(moves),
                               [0.0, 0.0, 0.0, np.log(1.25 / 1.15), np.log(0.9)], atol=1e-12)


def test_a_line_is_flagged_with_a_high_score_and_a_deviation_that_qualifies() -> None:
    frame = pd.DataFrame(0.0, index=range(4), columns=list(FEATURES))
    frame["anomaly_score"] = [0.8, 0.8, 0.2, 0.8]
    frame.loc[0, "line_price_vs_list"] = np.log(1.2)  # qualifies
    frame.loc[1, "price_vs_peers"] = np.log(1.5)  # only supports: peers vary for good reasons
    frame.loc[2, "usage_vs_neighbours"] = np.log(5.0)  # qualifies, but the score is low
    frame.loc[3, "usage_vs_neighbours"] = np.log(1.5)  # below its threshold
    assert flag_lines(frame, threshold=0.5).tolist() == [True, False, False, False]
    assert flag_lines(frame, threshold=0.1).tolist() == [True, False, True, False]
