"""Renewals page data: contracts up for renewal with their churn risk, drivers and value."""

from __future__ import annotations

import pandas as pd

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.scope import (
    SCORES_NOT_BUILT,
    month_params,
    require_mart,
    resolve_scope,
    run,
    segment_match,
)


def upcoming_renewals(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Scored contracts renewing within 180 days, riskiest first; ARR at stake = 12 x the
    contract's MRR, in its tenant's reporting currency."""
    require_mart(access, "renewal_risk_scores", SCORES_NOT_BUILT)
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select r.tenant_id, r.contract_id, r.customer_id, c.customer_name, c.segment,
               r.renewal_date, r.days_to_renewal, r.within_90_days, r.risk_band, r.probability,
               r.drivers, r.contract_mrr, 12 * r.contract_mrr as arr_at_stake,
               t.reporting_currency as currency, r.model_version, r.scored_at
        from {{renewal_risk_scores}} as r
        join {{dim_customer}} as c on c.tenant_id = r.tenant_id and c.customer_id = r.customer_id
        join {{dim_tenant}} as t on t.tenant_id = r.tenant_id
        where r.within_180_days and {segment_match('c')}
        order by r.probability desc, r.renewal_date, r.tenant_id, r.contract_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def no_model_reasons(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Why no model version scored the renewals in view (``reason``; no row when one did, or on a
    warehouse scored before the status table existed)."""
    if not access.has_table("renewal_model_status"):
        return pd.DataFrame({"reason": pd.Series(dtype=object)})
    scope = resolve_scope(access, viewer, filters)
    # A run without a published version writes its status rows with no model version.
    sql = """
        select distinct reason from {renewal_model_status}
        where model_version is null
        order by reason
    """
    return run(access, viewer, scope, sql, {})
