"""The staging tests can fail: damaged raw rows make exactly the relevant dbt tests fail.

Each damage is one the loader would never let through, written straight into raw of a copy
of the built warehouse.
"""

from __future__ import annotations

import duckdb
from dbt_runner import run_dbt

from tests.dbt.conftest import BuiltWarehouse


def _test_outcomes(run) -> dict[tuple[str, str, str | None], tuple[str, int]]:
    """(test macro, model or source, column) -> (status, failures) for every data test run."""
    outcomes = {}
    for r in run.node_results:
        node = r.node
        if str(node.resource_type) != "test" or not getattr(node, "test_metadata", None):
            continue
        attached = node.attached_node or next(iter(node.depends_on.nodes), "")
        outcomes[(node.test_metadata.name, attached.split(".", 2)[-1], node.column_name)] = (
            str(r.status), r.failures or 0)
    return outcomes


def test_damaged_raw_rows_fail_the_matching_tests_and_nothing_else(broken_copy: BuiltWarehouse) -> None:
    with duckdb.connect(str(broken_copy.path)) as con:
        # 1. An invoice of tenant A pointing at a customer id that exists only in tenant B:
        #    the plain relationships test would pass, the tenant-scoped one must not.
        tenant_a, tenant_b, foreign_customer = con.execute("""
            select other.tenant_id, owner.tenant_id, owner.customer_id
            from raw.customers as owner
            cross join raw.tenants as other
            where other.tenant_id <> owner.tenant_id
              and not exists (select 1 from raw.customers as c
                              where c.tenant_id = other.tenant_id and c.customer_id = owner.customer_id)
            order by 1, 2, 3
            limit 1
        """).fetchall()[0]
        con.execute("update raw.invoices set customer_id = ? where tenant_id = ? and invoice_id = "
                    "(select min(invoice_id) from raw.invoices where tenant_id = ?)",
                    [foreign_customer, tenant_a, tenant_a])
        # 2. An optional reference to a line item that does not exist.
        con.execute("update raw.invoice_lines set line_item_id = 'LI-DOES-NOT-EXIST' where invoice_line_id = "
                    "(select min(invoice_line_id) from raw.invoice_lines where line_item_id is not null) "
                    "and tenant_id = ?", [tenant_a])
        # 3. A value outside the allowed list, 4. a negative FX rate.
        con.execute("update raw.customers set segment = 'startup' where tenant_id = ? and customer_id = "
                    "(select min(customer_id) from raw.customers where tenant_id = ?)", [tenant_a, tenant_a])
        con.execute("update raw.fx_rates set rate = -1 where tenant_id = ? and rate_month = "
                    "(select min(rate_month) from raw.fx_rates where tenant_id = ?) and from_currency = "
                    "(select min(from_currency) from raw.fx_rates where tenant_id = ?)",
                    [tenant_a, tenant_a, tenant_a])
        fx_rows_broken = con.execute("select count(*) from raw.fx_rates where rate < 0").fetchall()[0][0]
        # 5. The same customer loaded twice (a later batch renamed it): raw now has a duplicate key.
        con.execute("""
            insert into raw.customers
            select * replace ('Renamed Later Ltd' as customer_name, 'zz-later-batch' as _batch_id,
                              _loaded_at + interval 1 day as _loaded_at)
            from raw.customers where tenant_id = ? and customer_id = (
                select max(customer_id) from raw.customers where tenant_id = ?)
        """, [tenant_b, tenant_b])
        raw_customers = con.execute("select count(*) from raw.customers").fetchall()[0][0]

    run = run_dbt(
        # Relationship tests run only when both ends are selected (indirect selection is
        # cautious), hence the line items alongside the invoice lines.
        ["build", "--select", "source:raw.customers", "stg_crm__customers", "stg_billing__invoices",
         "stg_billing__invoice_lines", "stg_billing__subscription_line_items", "stg_finance__fx_rates"],
        broken_copy.path, broken_copy.work)
    assert not run.result.success
    outcomes = _test_outcomes(run)
    failed = {k: v for k, v in outcomes.items() if v[0] == "fail"}
    assert failed == {
        ("relationships_within_tenant", "stg_billing__invoices", "customer_id"): ("fail", 1),
        ("relationships_within_tenant", "stg_billing__invoice_lines", "line_item_id"): ("fail", 1),
        ("accepted_values", "stg_crm__customers", "segment"): ("fail", 1),
        ("accepted_range", "stg_finance__fx_rates", "rate"): ("fail", fx_rows_broken),
    }
    # The raw duplicate is reported on the source (a warning: staging dedupes it) ...
    assert outcomes[("unique_combination_of_columns", "raw.customers", None)] == ("warn", 1)
    # ... and staging keeps one row per key, the latest load, so its key tests still pass.
    assert outcomes[("unique_combination_of_columns", "stg_crm__customers", None)] == ("pass", 0)
    assert outcomes[("unique", "stg_crm__customers", "customer_key")] == ("pass", 0)
    with duckdb.connect(str(broken_copy.path), read_only=True) as con:
        staged, renamed = con.execute(
            "select count(*), count(*) filter (where customer_name = 'Renamed Later Ltd' "
            "and _batch_id = 'zz-later-batch') from staging.stg_crm__customers").fetchall()[0]
    assert (staged, renamed) == (raw_customers - 1, 1)
    # The warning collector sees what a clean build must not have.
    assert any("raw_customers" in w or "raw.customers" in w for w in run.warnings), run.warnings
