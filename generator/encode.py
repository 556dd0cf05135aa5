"""Text encodings of contract values for CSV cells and JSON tokens.

Decimals are written exactly at the contract's scale (a value that would need rounding is a
bug and raises); timestamps are whole seconds, so ``isoformat`` gives ``YYYY-MM-DDTHH:MM:SS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Context, Decimal, Inexact, InvalidOperation
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from models import Contract, Field

_EXACT = Context(prec=38, traps=[Inexact, InvalidOperation])
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")

Encoder = Callable[[Any], str]


def decimal_scale(field: Field) -> int:
    match = _DECIMAL.match(field.type)
    if not match:
        raise ValueError(f"{field.name} is not a decimal")
    return int(match.group(2))


def _decimal_encoder(field: Field) -> Encoder:
    quantum = Decimal(1).scaleb(-decimal_scale(field))

    def encode(value: Decimal) -> str:
        return format(value.quantize(quantum, context=_EXACT), "f")

    return encode


def _text_encoder(field: Field) -> Encoder:
    kind = field.type
    if kind == "string":
        return str
    if kind in ("int32", "int64"):
        return lambda v: str(int(v))
    if kind.startswith("decimal"):
        return _decimal_encoder(field)
    if kind in ("date", "timestamp"):
        return lambda v: v.isoformat()
    if kind == "bool":
        return lambda v: "true" if v else "false"
    raise ValueError(f"no text encoding for {kind}")


def csv_encoders(contract: Contract) -> list[Encoder]:
    return [_text_encoder(f) for f in contract.fields]


def json_encoders(contract: Contract) -> list[Encoder]:
    """JSON token per field: strings, dates and timestamps quoted; numbers and bools bare."""
    out: list[Encoder] = []
    for f in contract.fields:
        text = _text_encoder(f)
        if f.type in ("string", "date", "timestamp"):
            out.append(lambda v, t=text: encode_basestring(t(v)))
        else:
            out.append(text)
    return out
