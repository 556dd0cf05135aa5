"""What `opsintel status` prints: the state of the published warehouse in a few tables."""

from __future__ import annotations

from ingestion.warehouse import Warehouse
from models import contracts_by_source


def _table(headers: list[str], rows: list[tuple], align: str) -> str:
    cells = [headers] + [["" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        lines.append("  ".join(c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(row, widths, align)))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_status(warehouse: Warehouse) -> str:
    con = warehouse.reader()
    try:
        has_raw = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'load_audit'"
        ).fetchall()[0][0]
        if not has_raw:
            return f"Warehouse {warehouse.published_path} has no raw schema yet: run `opsintel load`."
        last_loads = con.execute("""
            select source, outcome, strftime(max(finished_at), '%Y-%m-%d %H:%M:%S') as finished,
                   sum(rows_read)::bigint, sum(rows_loaded)::bigint, sum(rows_quarantined)::bigint,
                   any_value(message)
            from raw.load_audit
            where batch_id in (select arg_max(batch_id, finished_at) from raw.load_audit group by source)
            group by source, outcome order by source
        """).fetchall()
        quarantined = dict(con.execute("select entity, count(*) from raw.quarantine group by entity").fetchall())
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
        "Last load per source",
        _table(["source", "outcome", "finished (UTC)", "read", "loaded", "quarantined", "message"],
               last_loads, "lllrrrl"),
        "",
        "Raw tables",
        _table(["source", "table", "rows", "quarantined"], table_rows, "llrr"),
    ]
    return "\n".join(parts)
