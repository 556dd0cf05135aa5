"""Contract rules as SQL over the staged text table: the first rule a record breaks is its reason.

Rules, in order: the record could be parsed; then per field in contract order: the value is
not longer than ``MAX_FIELD_CHARS``, it holds no control character (tab, line feed and carriage
return are allowed only in fields the contract marks ``multiline``), required fields present, JSON values of the right kind,
text that parses as the contract type exactly (no rounding, no guessing), allowed values,
min / max; then the primary key is not repeated within the file (the first occurrence wins);
then every foreign key resolves in ``raw``. The record kept for quarantine is cut to
``QUARANTINED_RECORD_CHARS`` characters (with the full length noted).
"""

from __future__ import annotations

from ingestion.loader.limits import MAX_FIELD_CHARS, QUARANTINED_RECORD_CHARS
from ingestion.loader.messages import CONTROL_CHARACTERS
from ingestion.loader.staging import STAGED, json_type_column
from models import Contract, Field, load_contracts

CHECKED = "__checked"
# Control characters are refused in every value: NUL and escape sequences corrupt text for
# every consumer (C strings, terminals, CSV exports of the warehouse). Multiline text keeps
# tab, line feed and carriage return.
FORBIDDEN_IN_MULTILINE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"

_JSON_KINDS = {
    "string": ("VARCHAR",),
    "date": ("VARCHAR",),
    "timestamp": ("VARCHAR",),
    "bool": ("BOOLEAN", "VARCHAR"),
    "int": ("BIGINT", "UBIGINT", "VARCHAR"),
    "number": ("BIGINT", "UBIGINT", "DOUBLE", "VARCHAR"),
}
_TRUE, _FALSE = ("true", "1"), ("false", "0")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _kind(field: Field) -> str:
    if field.type.startswith("int"):
        return "int"
    if field.type.startswith(("decimal", "float")):
        return "number"
    return field.type


def _text(field: Field) -> str:
    return f"nullif(trim({_q(field.name)}), '')"


def _shown(field: Field) -> str:
    """The offending value as it appears in a reason (long values cut)."""
    return f"'''' || left({_q(field.name)}, 60) || case when length({_q(field.name)}) > 60 then '...' else '' end || ''''"


def typed_expression(field: Field) -> str:
    """SQL turning the field's text into its contract type; NULL where the text does not fit."""
    text = _text(field)
    if field.type == "string":
        return _q(field.name)
    if field.type == "bool":
        return (
            f"case when lower({text}) in ({', '.join(map(_lit, _TRUE))}) then true "
            f"when lower({text}) in ({', '.join(map(_lit, _FALSE))}) then false end"
        )
    if field.type == "timestamp":
        return f"try_cast(replace(rtrim({text}, 'Z'), 'T', ' ') as TIMESTAMP)"
    return f"try_cast({text} as {field.sql_type})"


def _format_pattern(field: Field) -> str | None:
    if field.type.startswith("int"):
        return r"[+-]?[0-9]+"
    if field.type.startswith("decimal"):
        precision, scale = (int(x) for x in field.type[8:-1].split(","))
        whole = precision - scale
        return rf"[+-]?[0-9]{{1,{whole}}}" + (rf"(\.[0-9]{{1,{scale}}})?" if scale else "")
    if field.type == "float64":
        return r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
    if field.type == "date":
        return r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    if field.type == "timestamp":
        return r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?Z?"
    return None


def _format_hint(field: Field) -> str:
    if field.type.startswith("decimal"):
        precision, scale = (int(x) for x in field.type[8:-1].split(","))
        return f"a decimal with at most {precision - scale} digits before and {scale} after the point"
    return {
        "int32": "a whole number", "int64": "a whole number", "float64": "a number",
        "date": "a date YYYY-MM-DD", "timestamp": "a timestamp YYYY-MM-DDTHH:MM:SS",
        "bool": "true or false",
    }[field.type]


def _json_kind_violation(field: Field) -> str:
    """SQL condition: the JSON value is of a kind the contract type cannot come from."""
    jt = _q(json_type_column(field.name))
    kinds = _JSON_KINDS[_kind(field)]
    return f"{jt} is not null and {jt} not in ('NULL', {', '.join(map(_lit, kinds))})"


def _text_format_violation(field: Field) -> str | None:
    """SQL condition: the text does not parse as the contract type exactly (None for strings)."""
    if field.type == "string":
        return None
    pattern = _format_pattern(field)
    bad_text = f"not regexp_full_match({_text(field)}, {_lit(pattern)})" if pattern else "false"
    return f"{_text(field)} is not null and ({bad_text} or ({typed_expression(field)}) is null)"


def type_violation(field: Field) -> str:
    """SQL condition: the value cannot be read as the field's contract type at all."""
    text_rule = _text_format_violation(field)
    json_rule = _json_kind_violation(field)
    return f"(({json_rule}) or ({text_rule}))" if text_rule else f"({json_rule})"


def _forbidden(field: Field) -> str:
    return _lit(FORBIDDEN_IN_MULTILINE if field.multiline else CONTROL_CHARACTERS)


def _control_character_reason(field: Field) -> str:
    name = _q(field.name)
    return (
        f"printf('control character U+%04X in field %s', "
        f"unicode(regexp_extract({name}, {_forbidden(field)})), {_lit(field.name)})"
    )


def _or_control_character(field: Field, reason: str) -> str:
    """``reason``, or the control character when the value holds one.

    Typed values and codes are rejected by their format or allowed values anyway, so only the
    reason looks for control characters (on the rejected rows alone, not on every value).
    """
    return f"case when regexp_matches({_q(field.name)}, {_forbidden(field)}) then {_control_character_reason(field)} else {reason} end"


def field_rules(field: Field) -> list[tuple[str, str]]:
    """(condition that flags a bad record, SQL text of the reason) for one field, in order."""
    rules: list[tuple[str, str]] = []
    name, text = _q(field.name), _text(field)
    rules.append((
        f"length({name}) > {MAX_FIELD_CHARS}",
        f"'value is ' || format('{{:,}}', length({name})) || ' characters long, over the limit of {MAX_FIELD_CHARS:,}'",
    ))
    free_text = field.type == "string" and not field.allowed_values
    if free_text:
        rules.append((f"regexp_matches({name}, {_forbidden(field)})", _control_character_reason(field)))
    if field.required:
        rules.append((f"{text} is null", _lit("required field is empty")))
    kinds = _JSON_KINDS[_kind(field)]
    rules.append((
        _json_kind_violation(field),
        f"'expected a JSON ' || {_lit('string' if kinds == ('VARCHAR',) else _kind(field))} || ', found ' || lower({_q(json_type_column(field.name))}) || ' ' || {_shown(field)}",
    ))
    text_rule = _text_format_violation(field)
    if text_rule:
        rules.append((text_rule, _or_control_character(field, f"'not ' || {_lit(_format_hint(field))} || ': ' || {_shown(field)}")))
    if field.allowed_values:
        allowed = ", ".join(map(_lit, field.allowed_values))
        rules.append((
            f"{name} is not null and {name} not in ({allowed})",
            _or_control_character(field, f"{_shown(field)} || ' is not one of: ' || {_lit(', '.join(field.allowed_values))}"),
        ))
    for bound, op, word in ((field.min, "<", "below the minimum"), (field.max, ">", "above the maximum")):
        if bound is not None:
            rules.append((
                f"({typed_expression(field)}) {op} {bound}",
                f"{_shown(field)} || ' is {word} {bound}'",
            ))
    return rules


def _capped(column: str) -> str:
    """SQL cutting a long record to its first characters plus a note of its full length."""
    keep = QUARANTINED_RECORD_CHARS
    return (
        f"case when length({column}) > {keep} then left({column}, {keep}) || '... (' || "
        f"format('{{:,}}', length({column})) || ' characters)' else {column} end"
    )


def _row_rules_case(contract: Contract) -> tuple[str, str]:
    rules = [("__parse_error is not null", "'(record)'", "__parse_error")]
    for field in contract.fields:
        rules += [(cond, _lit(field.name), reason) for cond, reason in field_rules(field)]
    field_case = "case " + " ".join(f"when {c} then {f}" for c, f, _ in rules) + " end"
    reason_case = "case " + " ".join(f"when {c} then {r}" for c, _, r in rules) + " end"
    return field_case, reason_case


def build_checked_table_sql(contract: Contract) -> str:
    """SQL creating temp table ``__checked``: typed values, ``__error_field``, ``__error_reason``."""
    contracts = load_contracts()
    field_case, reason_case = _row_rules_case(contract)
    typed = ",\n".join(f"{typed_expression(f)} as {_q(f.name)}" for f in contract.fields)
    raw_values = ", ".join(f"{_lit(f.name)}: {_q(f.name)}" for f in contract.fields)
    pk = ", ".join(_q(k) for k in contract.primary_key)

    fk_rules = []
    for fk in contract.foreign_keys:
        parent = contracts[fk.entity]
        if fk.entity == "tenants":
            match = f"p.tenant_id = c.{_q(fk.field)}"
        else:
            match = f"p.tenant_id = c.tenant_id and p.{_q(parent.key_field)} = c.{_q(fk.field)}"
        fk_rules.append((
            f"c.{_q(fk.field)} is not null and not exists (select 1 from raw.{_q(fk.entity)} p where {match})",
            _lit(fk.field),
            f"'unknown {fk.entity} key ' || '''' || c.{_q(fk.field)} || '''' || ' (not in raw.{fk.entity})'",
        ))
    fk_field = "case " + " ".join(f"when {c} then {f}" for c, f, _ in fk_rules) + " end" if fk_rules else "null"
    fk_reason = "case " + " ".join(f"when {c} then {r}" for c, _, r in fk_rules) + " end" if fk_rules else "null"

    return f"""
        create or replace temp table {CHECKED} as
        with row_checked as (
            select __row,
                   coalesce(__record, to_json({{{raw_values}}})::varchar) as __record,
                   {field_case} as __error_field,
                   {reason_case} as __error_reason,
                   {typed}
            from {STAGED}
        ),
        capped as (
            select * replace ({_capped("__record")} as __record) from row_checked
        ),
        key_checked as (
            select *,
                   case when __error_field is null
                        then min(__row) over (partition by __error_field is null, {pk}) end as __first_row
            from capped
        ),
        dup_checked as (
            select * exclude (__error_field, __error_reason, __first_row),
                   case when __error_field is null and __first_row < __row
                        then {_lit(contract.key_field)} else __error_field end as __error_field,
                   case when __error_field is null and __first_row < __row
                        then 'duplicate primary key (first seen at record ' || __first_row || ')'
                        else __error_reason end as __error_reason
            from key_checked
        )
        select c.* exclude (__error_field, __error_reason),
               coalesce(c.__error_field, case when c.__error_field is null then {fk_field} end) as __error_field,
               coalesce(c.__error_reason, case when c.__error_field is null then {fk_reason} end) as __error_reason
        from dup_checked c
    """
