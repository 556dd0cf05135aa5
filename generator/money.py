"""Exact decimal amounts: money at 2 places, prices and quantities at 4, FX rates at 8."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BASIS = Decimal("0.0001")
RATE = Decimal("0.00000001")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def _dec(x: Decimal | float | str) -> Decimal:
    # Floats go through a fixed-width string so the result does not depend on binary noise.
    if isinstance(x, float):
        return Decimal(f"{x:.10f}")
    return x if isinstance(x, Decimal) else Decimal(x)


def money(x: Decimal | float | str) -> Decimal:
    """Rounded half-up to cents; unary plus turns -0.00 into 0.00."""
    return +_dec(x).quantize(CENT, rounding=ROUND_HALF_UP)


def price(x: Decimal | float | str) -> Decimal:
    return +_dec(x).quantize(BASIS, rounding=ROUND_HALF_UP)


def rate(x: Decimal | float | str) -> Decimal:
    return +_dec(x).quantize(RATE, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    """quantity x unit price less discount: the invoice-line rule the warehouse repeats."""
    return money(quantity * unit_price * (HUNDRED - discount_pct) / HUNDRED)
