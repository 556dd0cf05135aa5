"""What `opsintel status` prints: the state of the published warehouse in a few tables."""

from __future__ import annotations

from foundation.warehouse import Warehouse, table_exists
from models import contracts_by_source
from reporting.health import SourceHealth, source_health


def _table(headers: list[str], rows: list[tuple], align: str) -> str:
    cells = [headers] + [["" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        lines.append("  ".join(c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(row, widths, align)))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


HEADLINE_KPIS_SQL = """
with
latest as (
    select tenant_id, max(month_start) as month_start from marts.kpi_mrr_bridge group by tenant_id
),
mrr as (
    select b.tenant_id, b.month_start, b.reporting_currency, b.closing_mrr, b.closing_arr
    from marts.kpi_mrr_bridge b join latest using (tenant_id, month_start)
),
retention as (
    select r.tenant_id, r.nrr, r.grr from marts.kpi_retention r join latest using (tenant_id, month_start)
),
leakage as (
    select l.tenant_id, sum(l.leakage_amount_reporting) as leakage_12m
    from marts.kpi_revenue_leakage l join latest using (tenant_id)
    where l.leakage_month > latest.month_start - interval 12 month
    group by l.tenant_id
),
unbilled as (
    select tenant_id, sum(unbilled_amount_reporting) as unbilled
    from marts.kpi_unbilled_work group by tenant_id
)
select mrr.tenant_id, strftime(mrr.month_start, '%Y-%m') as month, mrr.reporting_currency,
       mrr.closing_mrr, mrr.closing_arr, retention.nrr, retention.grr,
       coalesce(leakage.leakage_12m, 0), coalesce(unbilled.unbilled, 0)
from mrr
left join retention using (tenant_id)
left join leakage using (tenant_id)
left join unbilled using (tenant_id)
order by mrr.tenant_id
"""
HEADLINE_TABLES = ("kpi_mrr_bridge", "kpi_retention", "kpi_revenue_leakage", "kpi_unbilled_work")


def _money(value) -> str:
    return "" if value is None else f"{value:,.0f}"


def _pct(value) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"


def headline_kpis(con) -> str:
    """MRR, ARR, NRR, GRR, leakage (last 12 months) and unbilled work per tenant, latest month."""
    present = {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    missing = [t for t in HEADLINE_TABLES if t not in present]
    if missing:
        return f"Headline KPIs: marts not built yet ({', '.join(missing)}): run `make materialize`."
    rows = [
        (tenant, month, currency, _money(mrr), _money(arr), _pct(nrr), _pct(grr), _money(leak), _money(unbilled))
        for tenant, month, currency, mrr, arr, nrr, grr, leak, unbilled in con.execute(HEADLINE_KPIS_SQL).fetchall()
    ]
    return "Headline KPIs per tenant (reporting currency, latest month)\n" + _table(
        ["tenant", "month", "ccy", "MRR", "ARR", "NRR", "GRR", "leakage 12m", "unbilled work"],
        rows, "lllrrrrrr")


def _health_row(h: SourceHealth) -> tuple:
    finished = h.last_finished_at.strftime("%Y-%m-%d %H:%M:%S") if h.last_finished_at else ""
    age = "" if h.age_hours is None else f" ({h.age_hours:.1f} h, every {h.expected_every_hours:g} h)"
    checks = "not run" if h.checked_at is None else f"{h.critical_failed} critical, {h.warnings_failed} warning"
    drift = ", ".join(h.drifted_columns[:3]) + (" ..." if len(h.drifted_columns) > 3 else "")
    return (h.source, h.verdict, h.last_outcome or "never", finished, h.rows_read, h.rows_loaded,
            h.rows_quarantined, h.freshness + age, checks, drift, h.last_message or "")


def render_status(warehouse: Warehouse) -> str:
    con = warehouse.reader()
    try:
        if not table_exists(con, "raw", "load_audit"):
            return f"Warehouse {warehouse.published_path} has no raw schema yet: run `opsintel load`."
        health = source_health(con)
        quarantined = dict(con.execute("select entity, count(*) from raw.quarantine group by entity").fetchall())
        kpis = headline_kpis(con)
        table_rows = []
        for source, contracts in contracts_by_source().items():
            for contract in contracts:
                count = con.execute(f'select count(*) from raw."{contract.name}"').fetchall()[0][0]
                table_rows.append((source, contract.name, count, quarantined.get(contract.name, 0)))
    finally:
        con.close()
    parts = [
        f"Warehouse: {warehouse.published_path}",
        "",
        "Data health per source (latest load, freshness, latest checks, schema drift)",
        _table(["source", "health", "last load", "finished (UTC)", "read", "loaded", "quarantined",
                "freshness", "checks failed", "drift", "message"],
               [_health_row(h) for h in health], "llllrrrllll"),
        "",
        "Raw tables",
        _table(["source", "table", "rows", "quarantined"], table_rows, "llrr"),
        "",
        kpis,
    ]
    return "\n".join(parts)
