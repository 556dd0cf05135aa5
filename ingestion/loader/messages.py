"""What of a file's own text may appear in a message (stop lines, progress, audit, drift).

Messages end up on a terminal, in ``raw.load_audit`` and on the Data health page, so they
quote at most column names, and those cut short with control characters removed: a file
that is not the export it claims to be (a link to a system file, a binary blob) must not
have its content copied into the warehouse through an error message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SHOWN_NAMES = 20  # column names quoted in one message
SHOWN_NAME_CHARS = 64  # characters of one column name
SHOWN_TEXT_CHARS = 500  # characters of a whole list of names, or of a reader's error text

# C0 and C1 control characters and DEL (tab, line feed and carriage return among them).
CONTROL_CHARACTERS = r"[\x00-\x1f\x7f-\x9f]"
_CONTROL = re.compile(CONTROL_CHARACTERS)


def safe_text(text: str, limit: int = SHOWN_TEXT_CHARS) -> str:
    """``text`` without control characters, cut to ``limit`` characters (marked with '...')."""
    clean = _CONTROL.sub("", text)
    return clean if len(clean) <= limit else clean[: max(limit - 3, 0)] + "..."


def safe_name(name: str) -> str:
    return safe_text(name, SHOWN_NAME_CHARS)


def shown_names(names: Sequence[str], *, quoted: bool = False, limit: int = SHOWN_NAMES) -> str:
    """Up to ``limit`` names, comma-separated and capped in length, then how many more there are."""
    shown: list[str] = []
    length = 0
    for name in names[:limit]:
        item = f"'{safe_name(name)}'" if quoted else safe_name(name)
        if length + len(item) + 2 > SHOWN_TEXT_CHARS:
            break
        shown.append(item)
        length += len(item) + 2
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f" and {rest:,} more" if rest else "")


def error_text(exc: BaseException) -> str:
    """The first line of an error's text, short and clean: reader errors may quote the file."""
    text = str(exc).strip()
    return safe_text(text.splitlines()[0], 200) if text else ""
