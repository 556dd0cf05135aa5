"""Tenants: who they are, which currencies they use, and how many customers each has."""

from __future__ import annotations

from datetime import date

import numpy as np

from generator.config import CURRENCIES
from generator.dates import at
from generator.rng import np_rng, py_rng, weighted
from generator.simulate.context import Tenant
from generator.simulate.names import TENANTS

_HOME = {"USD": "US", "EUR": "DE", "GBP": "GB", "CAD": "CA", "AUD": "AU"}


def allocate_customers(total: int, tenants: int, seed: int) -> list[int]:
    """Customers per tenant: uneven (log-normal weights), summing exactly to ``total``."""
    weights = np_rng(seed, "tenant-sizes").lognormal(0.0, 0.8, size=tenants)
    raw = total * weights / weights.sum()
    counts = np.floor(raw).astype(int)
    remainder = total - int(counts.sum())
    for i in np.argsort(-(raw - counts), kind="stable")[:remainder]:
        counts[i] += 1
    return counts.tolist()


def make_tenants(count: int, total_customers: int, seed: int) -> list[Tenant]:
    sizes = allocate_customers(total_customers, count, seed)
    out = []
    for i in range(count):
        r = py_rng(seed, i, "tenant-profile")
        reporting = CURRENCIES[i % len(CURRENCIES)]
        others = [c for c in CURRENCIES if c != reporting]
        r.shuffle(others)
        extra = others[: r.randint(1, 2)]
        name = TENANTS[i % len(TENANTS)] + ("" if i < len(TENANTS) else f" {i // len(TENANTS) + 1}")
        kind = "operating_company" if i == 0 else weighted(
            r, {"operating_company": 0.5, "business_unit": 0.3, "white_label_partner": 0.2})
        out.append(Tenant(
            index=i, id=f"TEN-{i + 1:03d}", name=name, kind=kind, reporting_currency=reporting,
            currencies=tuple(sorted({reporting, *extra})), country=_HOME[reporting],
            fiscal_start=r.choice((1, 1, 1, 4, 7, 10)),
            created_at=at(date(2022, r.randint(1, 12), r.randint(1, 28)), r.randint(0, 86399)),
            customers=sizes[i]))
    return out


def tenant_row(t: Tenant) -> dict:
    return {"tenant_id": t.id, "tenant_name": t.name, "tenant_type": t.kind,
            "reporting_currency": t.reporting_currency, "country_code": t.country,
            "fiscal_year_start_month": t.fiscal_start, "created_at": t.created_at}
