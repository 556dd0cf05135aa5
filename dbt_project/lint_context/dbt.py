"""dbt's cross-database macros as dbt-duckdb renders them (``{{ dbt.dateadd(...) }}``)."""

from __future__ import annotations

# api.Column.translate_type / numeric_type of dbt-duckdb.
_TYPES = {"string": "varchar", "timestamp": "timestamp", "float": "float", "numeric": "numeric(28,6)"}


def type_string() -> str:
    return _TYPES["string"]


def type_timestamp() -> str:
    return _TYPES["timestamp"]


def type_float() -> str:
    return _TYPES["float"]


def type_numeric() -> str:
    return _TYPES["numeric"]


def cast(field: str, type: str) -> str:
    return f"cast({field} as {type})"


def concat(fields: list[str]) -> str:
    return " || ".join(fields)


def hash(field: str) -> str:
    return f"md5(cast({field} as {type_string()}))"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    unit = datepart.lower()
    if unit == "quarter":
        return f"({from_date_or_timestamp} + (cast({interval} as bigint) * 3) * interval 1 month)"
    if unit == "week":
        return f"({from_date_or_timestamp} + (cast({interval} as bigint) * 7) * interval 1 day)"
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {unit})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    if datepart == "week":
        raise NotImplementedError("datediff(..., 'week') has no lint stand-in; add one here")
    return f"(date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp))"


def last_day(date: str, datepart: str) -> str:
    next_period = dateadd(datepart, "1", date_trunc(datepart, date))
    return f"cast({dateadd('day', '-1', next_period)} as date)"
