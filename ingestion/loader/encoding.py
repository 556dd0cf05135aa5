"""Text encoding of exports: UTF-8 only, a leading byte-order mark allowed.

Latin-1 / Windows-1252 exports are refused with the line and byte of the first offending
character instead of being re-decoded: guessing an encoding silently changes names and amounts.
"""

from __future__ import annotations

from pathlib import Path

from ingestion.loader.errors import SourceStopped

UTF8_BOM = b"\xef\xbb\xbf"


def strip_bom(data: bytes) -> bytes:
    return data.removeprefix(UTF8_BOM)


def not_utf8_error(label: str, data: bytes) -> SourceStopped | None:
    """The stop for the first byte of ``data`` that is not UTF-8, or None when it all decodes."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        return SourceStopped(
            f"{label}: line {line}: byte 0x{byte:02X} is not valid UTF-8 "
            "(Latin-1 or Windows-1252 text?); nothing loaded — re-export the file as UTF-8"
        )
    return None


def raise_if_not_utf8(label: str, path: Path) -> None:
    """Called only after a reader reported bad text, so the whole-file read is on the error path."""
    error = not_utf8_error(label, path.read_bytes())
    if error is not None:
        raise error
