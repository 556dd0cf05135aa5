"""What one check found, in the shape Dagster, the warehouse table and users read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ingestion.quality.specs import CheckSpec

_EXAMPLES = 3


@dataclass(frozen=True)
class CheckOutcome:
    source: str
    entity: str
    check_name: str
    severity: str  # "critical" | "warning"
    passed: bool
    unexpected_count: int
    element_count: int
    message: str  # one line a user can act on
    details: dict  # JSON-able extras: expectation type, kwargs, sample values


def outcome_from_result(spec: CheckSpec, result: Any) -> CheckOutcome:
    """Translate a GX ExpectationValidationResult of ``spec``'s expectation."""
    info = result.exception_info or {}
    raised = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    if info.get("raised_exception") or raised:
        error = info.get("exception_message") or raised[0].get("exception_message")
        return failed_to_run(spec, str(error))
    found = result.result or {}
    if spec.expectation == "expect_table_columns_to_match_set":
        unexpected, element, examples = _column_mismatch(spec, found)
    else:
        unexpected = int(found.get("unexpected_count") or 0)
        element = int(found.get("element_count") or 0)
        examples = _examples(spec, found)
    passed = bool(result.success)
    if passed:
        message = f"{spec.table}: {spec.name} passed ({element:,} checked)"
    else:
        shown = f" (e.g. {', '.join(examples)})" if examples else ""
        message = f"{spec.table}: {unexpected:,} {spec.failing}{shown}"
    sample = found.get("partial_unexpected_index_list") or found.get("partial_unexpected_list")
    extra = {"observed_value": found["observed_value"]} if "observed_value" in found else {}
    return _outcome(spec, passed, unexpected, element, message,
                    sample=(sample or [])[:_EXAMPLES * 2], **extra)


def failed_to_run(spec: CheckSpec, error: str) -> CheckOutcome:
    """A check whose frame could not be read or whose expectation raised: it did not pass."""
    first = error.strip().splitlines()[0] if error.strip() else "unknown error"
    return _outcome(spec, False, 0, 0, f"{spec.table}: check {spec.name} could not run: {first}",
                    error=first)


def _outcome(spec: CheckSpec, passed: bool, unexpected: int, element: int, message: str,
             **extra: Any) -> CheckOutcome:
    details = {"expectation_type": spec.expectation, "kwargs": spec.kwargs, "origin": spec.origin,
               "suite": spec.suite_name, **extra}
    if spec.query:
        details["query"] = spec.query
    return CheckOutcome(source=spec.source, entity=spec.entity, check_name=spec.name,
                        severity=spec.severity, passed=passed, unexpected_count=unexpected,
                        element_count=element, message=message, details=_jsonable(details))


def _column_mismatch(spec: CheckSpec, found: dict) -> tuple[int, int, list[str]]:
    mismatched = (found.get("details") or {}).get("mismatched") or {}
    missing, unknown = mismatched.get("missing") or [], mismatched.get("unexpected") or []
    examples = [f"missing {c}" for c in missing] + [f"not in contract {c}" for c in unknown]
    return len(missing) + len(unknown), len(spec.kwargs["column_set"]), examples


def _examples(spec: CheckSpec, found: dict) -> list[str]:
    rows = found.get("partial_unexpected_index_list") or []
    names: list[str] = []
    for row in rows:
        if isinstance(row, dict) and all(c in row for c in spec.example_columns):
            name = " ".join(str(row[c]) for c in spec.example_columns)
        else:
            name = str(row)
        if name not in names:
            names.append(name)
        if len(names) == _EXAMPLES:
            break
    if not names:  # frames without row ids (e.g. column types): show the values
        names = [" ".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
                 for v in (found.get("partial_unexpected_list") or [])[:_EXAMPLES]]
    return names


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
