"""Per-tenant catalogue: products, price book (with a list-price increase), vendors, stocked
items and partners."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from generator.config import PRICE_FACTOR
from generator.dates import add_days, month_date, month_index
from generator.ids import IdSequence
from generator.money import money, price
from generator.rng import weighted
from generator.simulate import names

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
TIERS = ("starter", "professional", "enterprise")
ADD_ONS = ("analytics", "premium_support", "sso")
PRICE_BOOK_START = date(2022, 1, 1)


@dataclass(frozen=True)
class ProductSpec:
    key: str
    name: str
    family: str
    model: str
    unit: str
    usd_price: float  # per unit per month (recurring), per unit (usage, one-time)
    is_device: bool = False
    is_active: bool = True
    metric: str | None = None


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("starter", "Platform Starter", "platform", "recurring", "seat", 29),
    ProductSpec("professional", "Platform Professional", "platform", "recurring", "seat", 59),
    ProductSpec("enterprise", "Platform Enterprise", "platform", "recurring", "seat", 99),
    ProductSpec("classic", "Platform Classic", "platform", "recurring", "seat", 45,
                is_active=False),
    ProductSpec("analytics", "Advanced Analytics", "add_on", "recurring", "seat", 12),
    ProductSpec("premium_support", "Premium Support", "add_on", "recurring", "subscription", 450),
    ProductSpec("sso", "SSO & Audit Log", "add_on", "recurring", "subscription", 150),
    ProductSpec("api_calls", "API Calls", "usage", "usage", "api_call", 0.0004,
                metric="api_calls"),
    ProductSpec("storage", "Data Storage", "usage", "usage", "GB", 0.12, metric="storage_gb"),
    ProductSpec("messages", "Messaging", "usage", "usage", "message", 0.0075,
                metric="messages"),
    ProductSpec("device_hours", "Device Connectivity", "usage", "usage", "device_hour", 0.015,
                metric="device_hours"),
    ProductSpec("implementation", "Implementation Services", "services", "milestone",
                "milestone", 0),
    ProductSpec("setup", "Onboarding & Setup Fee", "services", "one_time", "project", 2500),
    ProductSpec("training", "Admin Training", "services", "one_time", "session", 900),
    ProductSpec("gateway", "Edge Gateway G1", "hardware", "one_time", "device", 349,
                is_device=True),
    ProductSpec("sensor", "Sensor Kit S2", "hardware", "one_time", "device", 129,
                is_device=True),
    ProductSpec("device_mgmt", "Device Management", "hardware", "recurring", "device", 4),
)
SPECS = {p.key: p for p in PRODUCTS}


@dataclass(frozen=True)
class Product:
    id: str
    spec: ProductSpec


@dataclass(frozen=True)
class PriceEntry:
    id: str
    product: Product
    currency: str
    period: str
    unit_price: Decimal
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Item:
    id: str
    sku: str
    name: str
    product: Product | None
    vendor: dict[str, Any]
    unit_cost: Decimal
    currency: str
    serialized: bool
    reorder_point: int


@dataclass
class Catalog:
    products: dict[str, Product]
    prices: dict[tuple[str, str, str], list[PriceEntry]]
    increase_date: date
    increase_pct: float
    vendors: list[dict[str, Any]]
    items: dict[str, Item]
    partners: list[dict[str, Any]]
    price_factor: float
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def price_on(self, key: str, currency: str, period: str, on: date) -> PriceEntry:
        for entry in self.prices[(key, currency, period)]:
            if entry.valid_from <= on and (entry.valid_to is None or on < entry.valid_to):
                return entry
        raise LookupError(f"no price for {key} {currency} {period} on {on}")

    def local(self, usd: float, currency: str) -> float:
        """A USD amount in ``currency`` at this tenant's list-price level."""
        return usd * PRICE_FACTOR[currency] * self.price_factor


def _list_price(spec: ProductSpec, currency: str, period: str, factor: float) -> Decimal:
    base = spec.usd_price * PRICE_FACTOR[currency] * factor
    if spec.model == "usage":
        return price(base)
    if spec.model == "recurring":
        base *= {"monthly": 1, "quarterly": 3 * 0.98, "annual": 12 * 0.9}[period]
    return price(money(base))


def build_catalog(tenant_id: str, currencies: tuple[str, ...], reporting: str, n_customers: int,
                  r: random.Random) -> Catalog:
    seq = IdSequence()
    factor = r.uniform(0.9, 1.15)
    increase = month_date(month_index(date(2024, 3, 1)) + r.randint(0, 18))
    increase_pct = r.choice((4, 5, 6, 7, 8, 9)) / 100
    products = {s.key: Product(seq.next("PRD", 4), s) for s in PRODUCTS}
    rows: dict[str, list[dict[str, Any]]] = {"products": [], "price_book_entries": [],
                                             "vendors": [], "inventory_items": [], "partners": []}
    for p in products.values():
        rows["products"].append({
            "tenant_id": tenant_id, "product_id": p.id, "product_name": p.spec.name,
            "product_family": p.spec.family, "billing_model": p.spec.model,
            "unit_of_measure": p.spec.unit, "is_device": p.spec.is_device,
            "is_active": p.spec.is_active})

    prices: dict[tuple[str, str, str], list[PriceEntry]] = {}
    retired = date(2024, 1, 1)
    for p in products.values():
        if p.spec.model == "milestone":
            continue  # milestones are priced per project, never from the list
        periods = tuple(PERIOD_MONTHS) if p.spec.model == "recurring" else ("none",)
        for cur in currencies:
            for period in periods:
                old = _list_price(p.spec, cur, period, factor)
                new = price(old * Decimal(str(1 + increase_pct)))
                if p.spec.model != "usage":
                    new = price(money(new))
                spans = ([(old, PRICE_BOOK_START, retired)] if not p.spec.is_active
                         else [(old, PRICE_BOOK_START, increase), (new, increase, None)])
                entries = []
                for unit_price, start, end in spans:
                    entry = PriceEntry(seq.next("PRC"), p, cur, period, unit_price, start, end)
                    entries.append(entry)
                    rows["price_book_entries"].append({
                        "tenant_id": tenant_id, "price_id": entry.id, "product_id": p.id,
                        "currency": cur, "billing_period": period, "unit_price": unit_price,
                        "valid_from": start, "valid_to": end})
                prices[(p.spec.key, cur, period)] = entries

    vendor_plan = (("devices", "US", "USD"), ("devices", "TW", "USD"), ("components", "DE", "EUR"),
                   ("logistics", None, reporting), ("services", None, reporting))
    vendors = []
    for category, country, cur in vendor_plan:
        v = {"tenant_id": tenant_id, "vendor_id": seq.next("VEN", 4),
             "vendor_name": names.company(r, country or "US"), "category": category,
             "country_code": country or {"USD": "US", "EUR": "DE", "GBP": "GB", "CAD": "CA",
                                         "AUD": "AU"}[cur],
             "currency": cur if cur in currencies or cur == "USD" else reporting,
             "payment_terms_days": r.choice((30, 45, 60))}
        vendors.append(v)
        rows["vendors"].append(v)

    items: dict[str, Item] = {}
    item_plan = (("gateway", "GW-G1", "Edge Gateway G1", vendors[0], 0.52, True, 20),
                 ("sensor", "SK-S2", "Sensor Kit S2", vendors[1], 0.48, True, 40),
                 ("mounting", "MK-01", "Mounting kit", vendors[2], 18.0, False, 50),
                 ("cables", "CB-05", "Cable set (5 m)", vendors[2], 6.5, False, 80),
                 ("psu", "PS-12", "Spare power supply", vendors[2], 14.0, False, 30))
    for key, sku, name, vendor, cost, serialized, reorder in item_plan:
        product = products.get(key)
        usd_cost = cost * SPECS[key].usd_price if product else cost
        currency = vendor["currency"]
        unit_cost = price(usd_cost * PRICE_FACTOR[currency] / PRICE_FACTOR["USD"])
        item = Item(seq.next("ITM", 4), f"{sku}-{tenant_id[-3:]}", name, product, vendor,
                    unit_cost, currency, serialized, reorder)
        items[key] = item
        rows["inventory_items"].append({
            "tenant_id": tenant_id, "item_id": item.id, "sku": item.sku, "item_name": name,
            "product_id": product.id if product else None, "vendor_id": vendor["vendor_id"],
            "unit_cost": unit_cost, "currency": currency, "is_serialized": serialized,
            "reorder_point": reorder})

    partners = []
    commission = {"reseller": (18, 30), "referral": (8, 15), "implementation": (10, 16),
                  "white_label": (25, 35)}
    for _ in range(max(2, min(200, 2 + round(n_customers / 45)))):
        kind = weighted(r, {"reseller": 0.35, "referral": 0.35, "implementation": 0.2,
                            "white_label": 0.1})
        cur = reporting if r.random() < 0.8 else r.choice(currencies)
        p = {"tenant_id": tenant_id, "partner_id": seq.next("PTN", 4),
             "partner_name": names.company(r, "US"), "partner_type": kind,
             "commission_pct": Decimal(r.randint(*commission[kind]) * 2) / 2,
             "currency": cur, "country_code": {"USD": "US", "EUR": "DE", "GBP": "GB",
                                               "CAD": "CA", "AUD": "AU"}[cur],
             "is_active": r.random() < 0.9}
        p["commission_pct"] = price(p["commission_pct"])
        partners.append(p)
        rows["partners"].append(p)
    return Catalog(products, prices, increase, increase_pct, vendors, items, partners, factor,
                   rows)


def first_price_change_boundary(catalog: Catalog) -> date:
    """Earliest date a contract can be moved to the new list prices (60 days' notice)."""
    return add_days(catalog.increase_date, 60)
