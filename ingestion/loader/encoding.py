"""Text encoding of exports: UTF-8 only, a leading byte-order mark allowed.

Latin-1 / Windows-1252 exports are refused with the line and byte of the first offending
character instead of being re-decoded: guessing an encoding silently changes names and amounts.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from ingestion.loader.errors import SourceStopped
from ingestion.loader.limits import READ_CHUNK_BYTES

UTF8_BOM = b"\xef\xbb\xbf"


def strip_bom(data: bytes) -> bytes:
    return data.removeprefix(UTF8_BOM)


def not_utf8_stop(label: str, line: int, byte: int) -> SourceStopped:
    return SourceStopped(
        f"{label}: line {line}: byte 0x{byte:02X} is not valid UTF-8 "
        "(Latin-1 or Windows-1252 text?); nothing loaded — re-export the file as UTF-8"
    )


def not_utf8_error(label: str, data: bytes, first_line: int = 1) -> SourceStopped | None:
    """The stop for the first byte of ``data`` that is not UTF-8, or None when it all decodes.

    ``first_line`` is the line number of ``data``'s first byte in its file.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return not_utf8_stop(label, first_line + data.count(b"\n", 0, exc.start), data[exc.start])
    return None


class Utf8Checker:
    """Checks text fed piece by piece (never all of it at once), counting lines for the message."""

    def __init__(self, label: str, first_line: int = 1) -> None:
        self._label = label
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.line = first_line

    def feed(self, piece: bytes, final: bool = False) -> None:
        try:
            self._decoder.decode(piece, final)
        except UnicodeDecodeError as exc:
            # exc.object is the undecoded tail of earlier pieces plus this one.
            seen = exc.object
            raise not_utf8_stop(self._label, self.line + seen.count(b"\n", 0, exc.start), seen[exc.start]) from None
        self.line += piece.count(b"\n")


def file_blocks(path: Path) -> Iterator[bytes]:
    """The file in pieces of ``READ_CHUNK_BYTES``, a UTF-8 byte order mark dropped from the first."""
    with open(path, "rb") as handle:
        first = True
        for block in iter(lambda: handle.read(READ_CHUNK_BYTES), b""):
            yield strip_bom(block) if first else block
            first = False


def raise_if_not_utf8(label: str, path: Path) -> None:
    """Called only after a reader reported bad text; reads the file in pieces to find the byte."""
    checker = Utf8Checker(label)
    for block in file_blocks(path):
        checker.feed(block)
    checker.feed(b"", final=True)
