"""Per-tenant identifiers: ``CUS-000123``; counters advance in simulation order."""

from __future__ import annotations

from collections import defaultdict


class IdSequence:
    def __init__(self) -> None:
        self._next: defaultdict[str, int] = defaultdict(int)

    def next(self, prefix: str, width: int = 6) -> str:
        self._next[prefix] += 1
        return f"{prefix}-{self._next[prefix]:0{width}d}"

    def next_number(self, prefix: str) -> int:
        self._next[prefix] += 1
        return self._next[prefix]

    def advance(self, prefix: str, count: int) -> int:
        """Reserve ``count`` numbers at once (vectorised producers); returns the first."""
        first = self._next[prefix] + 1
        self._next[prefix] += count
        return first
