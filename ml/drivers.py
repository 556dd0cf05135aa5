"""Why a contract scores high, in plain words: the three feature groups that raise its risk most.

Model-agnostic: a group's contribution to a contract's probability is the probability with the
contract's own values minus the probability with that group's features set to a typical
contract's (the training median of each number, the most common value of each category).
Features that tell one story are moved together (escalations over 60, 180 and 365 days and
ticket count; the API usage ratio and slope; MRR now and its 3 and 6 month changes ...), so
correlated features do not split a driver between them. The groups that raise the probability
by at least ``MIN_CONTRIBUTION`` are ranked and worded from the contract's actual values, e.g.
"4 escalated tickets in the last 12 months", "API usage down 38% over 3 months".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_DRIVERS = 3
MIN_CONTRIBUTION = 0.005  # half a percentage point: smaller moves are noise, not a reason
SEPARATOR = "; "

Predict = Callable[[pd.DataFrame], np.ndarray]


def _count(n: float, one: str, many: str) -> str:
    n = int(n)
    return f"no {many}" if n == 0 else f"{n} {one if n == 1 else many}"


def _known(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _change(pct: float, what: str, period: str) -> str:
    if abs(pct) < 0.5:
        return f"{what} flat {period}"
    return f"{what} {'down' if pct < 0 else 'up'} {abs(pct):.0f}% {period}"


def _support(row: Mapping[str, object]) -> str:
    if row.get("escalations_365d", 0):
        return _count(row["escalations_365d"], "escalated ticket", "escalated tickets") + " in the last 12 months"
    if row.get("escalations_renewal_year", 0):
        return (_count(row["escalations_renewal_year"], "escalated ticket", "escalated tickets")
                + " in the year before the renewal")
    return "no escalated tickets in 12 months, " + _count(
        row.get("tickets_180d", 0), "support ticket", "support tickets") + " in 180 days"


def _log_change(trend: float) -> float:
    """A log ratio as a percent change: log(3/4) is -25 %."""
    return 100 * math.expm1(float(trend))


def _usage(row: Mapping[str, object]) -> str:
    api, overall = row.get("api_usage_trend", 0), row.get("usage_trend_all", 0)
    if _known(api) and api:
        return _change(_log_change(api), "API usage", "over 3 months")
    if _known(overall) and overall:
        return _change(_log_change(overall), "usage", "over 3 months")
    slope = row.get("api_usage_slope", 0)
    if _known(slope) and slope:
        return _change(_log_change(slope), "API usage", "per 3 months this term")
    return "no usage trend (no usage 4 to 6 months ago)"


def _mrr_trend(row: Mapping[str, object]) -> str:
    now, change = float(row.get("mrr_now", 0) or 0), float(row.get("mrr_change_6m", 0) or 0)
    before = now - change
    if before > 0:
        return _change(100 * change / before, "MRR", "in 6 months")
    return "no MRR 6 months ago" if now > 0 else "no MRR last month"


def _activation(row: Mapping[str, object]) -> str:
    lag = row.get("activation_lag_days")
    return f"activation took {int(lag)} days" if _known(lag) else "service not live yet"


def _go_live(row: Mapping[str, object]) -> str:
    slip = int(row.get("go_live_slip_days", 0) or 0)
    return f"go-live slipped {slip} day{'' if slip == 1 else 's'}" if slip > 0 else "go-live on time or no project"


def _prices(row: Mapping[str, object]) -> str:
    parts = []
    amended = float(row.get("price_change_pct", 0) or 0)
    if abs(amended) >= 0.5:
        parts.append(f"price {'raised' if amended > 0 else 'cut'} {abs(amended):.0f}% this term")
    listed = float(row.get("list_price_increase_pct", 0) or 0)
    if abs(listed) >= 0.5:
        parts.append(f"list prices {'up' if listed > 0 else 'down'} {abs(listed):.0f}% since signing")
    return ", ".join(parts) if parts else "no price change this term"


def _timing(row: Mapping[str, object]) -> str:
    days = int(row.get("days_to_renewal", 0) or 0)
    return f"renews in {days} day{'' if days == 1 else 's'}"


def _late_payments(row: Mapping[str, object]) -> str:
    return _count(row.get("late_payments_180d", 0), "late payment", "late payments") + " in 180 days"


def _billing_exceptions(row: Mapping[str, object]) -> str:
    return _count(row.get("billing_exceptions_180d", 0), "billing exception", "billing exceptions") + " in 180 days"


def _amendment(row: Mapping[str, object]) -> str:
    kind = str(row.get("last_amendment_type", "none"))
    if kind == "none":
        return "no amendment this term"
    pct = row.get("last_amendment_change_pct")
    if _known(pct):
        return f"last amendment: {kind.replace('_', ' ')} ({float(pct):+.0f}% MRR)"
    return f"last amendment: {kind.replace('_', ' ')}"


def _tenure(row: Mapping[str, object]) -> str:
    months = int(row.get("tenure_months", 0))
    return f"customer for {months} month{'' if months == 1 else 's'}"


def _terms(row: Mapping[str, object]) -> str:
    parts = []
    if "term_months" in row:
        parts.append(f"{int(row['term_months'])}-month term")
    if "contract_type" in row:
        parts.append("first renewal" if row["contract_type"] == "new" else "renewed before")
    if "billing_frequency" in row:
        parts.append(f"{row['billing_frequency']} billing")
    if "auto_renew" in row:
        parts.append("auto-renews" if row["auto_renew"] else "no auto-renewal")
    return ", ".join(parts)


def _size(row: Mapping[str, object]) -> str:
    return f"contract MRR {float(row.get('contract_mrr', 0) or 0):,.0f}"


def _profile(row: Mapping[str, object]) -> str:
    parts = [f"{row['segment']} segment" if "segment" in row else "", str(row["region"]).upper() if "region" in row else ""]
    if row.get("is_partner_sourced"):
        parts.append("partner-sourced")
    return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class DriverGroup:
    name: str
    features: tuple[str, ...]
    describe: Callable[[Mapping[str, object]], str]


DRIVER_GROUPS: tuple[DriverGroup, ...] = (
    DriverGroup("support", ("escalations_60d", "escalations_180d", "escalations_365d", "escalations_renewal_year",
                            "tickets_180d"), _support),
    DriverGroup("usage", ("api_usage_trend", "api_usage_slope", "usage_trend_all"), _usage),
    DriverGroup("mrr_trend", ("mrr_now", "mrr_change_3m", "mrr_change_6m"), _mrr_trend),
    DriverGroup("activation", ("activation_lag_days", "first_term_lag_over_30"), _activation),
    DriverGroup("go_live", ("go_live_slip_days",), _go_live),
    DriverGroup("prices", ("price_change_pct", "list_price_increase_pct"), _prices),
    DriverGroup("late_payments", ("late_payments_180d",), _late_payments),
    DriverGroup("billing_exceptions", ("billing_exceptions_180d",), _billing_exceptions),
    DriverGroup("amendment", ("last_amendment_type", "last_amendment_change_pct"), _amendment),
    DriverGroup("tenure", ("tenure_months",), _tenure),
    DriverGroup("terms", ("term_months", "contract_type", "billing_frequency", "auto_renew"), _terms),
    DriverGroup("size", ("contract_mrr",), _size),
    DriverGroup("profile", ("segment", "region", "is_partner_sourced"), _profile),
    DriverGroup("timing", ("days_to_renewal",), _timing),
)


def groups_for(features: Sequence[str], groups: Sequence[DriverGroup] = DRIVER_GROUPS) -> list[DriverGroup]:
    """The groups that touch the model's features (each cut down to them); every feature must be in one."""
    ungrouped = set(features) - {name for group in groups for name in group.features}
    if ungrouped:
        raise ValueError(f"feature(s) {', '.join(sorted(ungrouped))} belong to no driver group")
    return [DriverGroup(g.name, tuple(f for f in g.features if f in features), g.describe)
            for g in groups if any(f in features for f in g.features)]


def driver_contributions(predict: Predict, frame: pd.DataFrame, reference: Mapping[str, object],
                         features: Sequence[str]) -> pd.DataFrame:
    """Rows of ``frame`` by driver groups: probability minus probability with the group at reference.

    All counterfactual rows are scored in one call (rows x groups), which is what keeps this fast.
    """
    groups = groups_for(features)
    rows = frame[list(features)].reset_index(drop=True)
    base = np.asarray(predict(rows), dtype=float)
    variants = []
    for group in groups:
        variant = rows.copy()
        for name in group.features:
            variant[name] = reference[name]
        variants.append(variant)
    if not variants:
        return pd.DataFrame(index=frame.index)
    shifted = np.asarray(predict(pd.concat(variants, ignore_index=True)), dtype=float).reshape(len(groups), len(rows))
    return pd.DataFrame((base - shifted).T, columns=[g.name for g in groups], index=frame.index)


def explain(predict: Predict, frame: pd.DataFrame, reference: Mapping[str, object], features: Sequence[str],
            limit: int = MAX_DRIVERS) -> pd.Series:
    """For each row, the top ``limit`` risk-raising drivers in words, joined by ``SEPARATOR``
    (empty when nothing raises the risk above a typical contract's)."""
    contributions = driver_contributions(predict, frame, reference, features)
    describe = {g.name: g.describe for g in groups_for(features)}
    amounts, names = contributions.to_numpy(), list(contributions.columns)
    texts = []
    for position, values in enumerate(frame.to_dict("records")):
        ranked = np.argsort(-amounts[position], kind="stable")  # ties keep the group order
        chosen = [names[i] for i in ranked if amounts[position, i] >= MIN_CONTRIBUTION][:limit]
        texts.append(SEPARATOR.join(describe[name](values) for name in chosen))
    return pd.Series(texts, index=frame.index, dtype="str")
