"""Reading export files record by record without ever holding an over-long record whole.

A record longer than ``MAX_RECORD_BYTES`` (a runaway quote, a blob pasted into a cell, a JSON
line of hundreds of MiB) is read in pieces of ``READ_CHUNK_BYTES``: only its length and its
first characters are kept, and it is quarantined. Memory therefore stays within a small
multiple of the limit whatever the file holds.

JSON lines are read line by line. CSV records can span lines (quoted newlines), so a CSV file
that holds an over-long record is split into records by ``CsvRecordSplitter``, which follows
the same quoting rules as Arrow's CSV reader; the records within the limit are then parsed by
Arrow as usual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ingestion.loader.encoding import Utf8Checker, file_blocks, strip_bom
from ingestion.loader.errors import SourceStopped
from ingestion.loader.limits import MAX_RECORD_BYTES, QUARANTINED_RECORD_CHARS, READ_CHUNK_BYTES

_PREFIX_BYTES = 4 * QUARANTINED_RECORD_CHARS  # enough bytes for that many UTF-8 characters


@dataclass(frozen=True)
class LongRecord:
    number: int  # CSV: record number after the header; JSON lines: line number
    length: int  # bytes, the line end not counted
    prefix: str  # its first QUARANTINED_RECORD_CHARS characters

    def reason(self, what: str) -> str:
        return f"{what} is {self.length:,} bytes long, over the limit of {MAX_RECORD_BYTES:,} bytes"


class _LongRecordReader:
    """Consumes an over-long record piece by piece: counts it, keeps its start, checks its UTF-8."""

    def __init__(self, label: str, first_line: int) -> None:
        self.length = 0
        self._prefix = bytearray()
        self._utf8 = Utf8Checker(label, first_line)

    def add(self, piece: bytes) -> None:
        self._utf8.feed(piece)
        if len(self._prefix) < _PREFIX_BYTES:
            self._prefix += piece[: _PREFIX_BYTES - len(self._prefix)]
        self.length += len(piece)

    def finish(self, number: int) -> LongRecord:
        self._utf8.feed(b"", final=True)
        # The kept bytes may end inside a character: "ignore" drops only that cut character.
        prefix = bytes(self._prefix).decode("utf-8", "ignore")[:QUARANTINED_RECORD_CHARS]
        return LongRecord(number, self.length, prefix)


@dataclass
class JsonLines:
    numbers: list[int]  # line number of each non-blank line within the limit
    lines: list[bytes]  # its text, line end removed
    long: list[LongRecord]


def read_json_lines(path: Path, label: str) -> JsonLines:
    """The file's non-blank lines (a leading byte-order mark dropped); over-long lines as LongRecord."""
    result = JsonLines([], [], [])
    limit = MAX_RECORD_BYTES + 2  # the longest line within the limit, with its CRLF
    with open(path, "rb") as handle:
        number = 0
        while line := handle.readline(limit):
            number += 1
            if number == 1:
                line = strip_bom(line)
            if len(line) == limit and not line.endswith(b"\n"):
                result.long.append(_rest_of_long_line(handle, line, label, number))
                continue
            text = line.removesuffix(b"\n").rstrip(b"\r")
            if len(text) > MAX_RECORD_BYTES:
                reader = _LongRecordReader(label, number)
                reader.add(text)
                result.long.append(reader.finish(number))
            elif text.strip():
                result.numbers.append(number)
                result.lines.append(text)
    return result


def _rest_of_long_line(handle: BinaryIO, start: bytes, label: str, number: int) -> LongRecord:
    reader = _LongRecordReader(label, number)
    piece, carry = start, b""
    while piece:
        piece = carry + piece
        if piece.endswith(b"\n"):
            reader.add(piece[:-1].rstrip(b"\r"))
            return reader.finish(number)
        # A CR may be the first half of the CRLF ending the line: hold it back.
        carry = b"\r" if piece.endswith(b"\r") else b""
        reader.add(piece[: len(piece) - len(carry)])
        piece = handle.readline(READ_CHUNK_BYTES)
    return reader.finish(number)  # the last line, without a line end (a trailing CR dropped)


# CSV splitting states: at the start of a record; in an unquoted value; in a quoted value; just
# after a quote inside a quoted value (a second quote makes it a literal quote); just after a
# comma that ended the previous piece (a quote next opens a quoted value).
_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED, _AFTER_COMMA = range(5)
# In an unquoted value only a line end or a quote opening the next value matters.
_UNQUOTED_EVENT = re.compile(rb'[\r\n]|,"')
_QUOTE, _COMMA = ord('"'), ord(",")


class CsvRecordSplitter:
    """Splits CSV bytes into records as Arrow's reader does, keeping records within the limit.

    Arrow's rules: a quote opens a quoted value only at the start of a value; inside it, a
    doubled quote is a quote and a single one ends the quoting; outside quotes CR, LF or CRLF
    end the record; empty lines are no records. ``kept`` holds the header and every record
    within ``MAX_RECORD_BYTES`` (each ended by LF); ``long`` the others (record numbers count
    from the first record after the header).
    """

    def __init__(self, label: str) -> None:
        self.kept = bytearray()
        self.long: list[LongRecord] = []
        self._label = label
        self._state = _START
        self._record = bytearray()
        self._reader: _LongRecordReader | None = None
        self._number = 0  # records finished, the header included
        self._line = 1  # physical line the current record starts on
        self._lines_in_record = 0

    @classmethod
    def split(cls, path: Path, label: str) -> CsvRecordSplitter:
        splitter = cls(label)
        for chunk in file_blocks(path):
            splitter.feed(chunk)
        splitter.finish()
        return splitter

    def feed(self, chunk: bytes) -> None:
        i, end = 0, len(chunk)
        while i < end:
            i = self._step(chunk, i, end)

    def finish(self) -> None:
        if self._state != _START:
            self._end_record()

    def _step(self, chunk: bytes, i: int, end: int) -> int:
        """Consume the next stretch of ``chunk`` from ``i``; return where the next one starts."""
        state, byte = self._state, chunk[i]
        if state == _START:
            if byte in b"\r\n":  # an empty line (or the LF of a CRLF): no record
                self._line += byte == ord("\n")
                return i + 1
            self._state = _QUOTED if byte == _QUOTE else _FIELD
            self._take(chunk[i:i + 1])
            return i + 1
        if state in (_AFTER_COMMA, _QUOTE_IN_QUOTED):
            if byte == _QUOTE:
                self._state = _QUOTED
                self._take(chunk[i:i + 1])
                return i + 1
            self._state = _FIELD
            return i
        if state == _QUOTED:
            quote = chunk.find(b'"', i)
            if quote < 0:
                self._take(chunk[i:])
                return end
            self._take(chunk[i:quote + 1])
            if quote + 1 == end:
                self._state = _QUOTE_IN_QUOTED
            elif chunk[quote + 1] == _QUOTE:
                self._take(chunk[quote + 1:quote + 2])
                return quote + 2
            else:
                self._state = _FIELD
            return quote + 1
        event = _UNQUOTED_EVENT.search(chunk, i)
        if event is None:
            self._take(chunk[i:])
            self._state = _AFTER_COMMA if chunk[end - 1] == _COMMA else _FIELD
            return end
        if event.group() == b',"':
            self._take(chunk[i:event.end()])
            self._state = _QUOTED
            return event.end()
        self._take(chunk[i:event.start()])
        self._end_record()
        return event.start()

    def _take(self, piece: bytes) -> None:
        self._lines_in_record += piece.count(b"\n")
        if self._reader is not None:
            self._reader.add(piece)
            return
        self._record += piece
        if len(self._record) > MAX_RECORD_BYTES:
            self._reader = _LongRecordReader(self._label, self._line)
            self._reader.add(bytes(self._record))
            self._record.clear()

    def _end_record(self) -> None:
        if self._reader is not None:
            if self._number == 0:
                raise SourceStopped(
                    f"{self._label}: the header line is {self._reader.length:,} bytes long, over the "
                    f"limit of {MAX_RECORD_BYTES:,} bytes; nothing loaded"
                )
            self.long.append(self._reader.finish(self._number))
            self._reader = None
        else:
            self.kept += self._record
            self.kept += b"\n"
            self._record.clear()
        self._number += 1
        self._line += self._lines_in_record
        self._lines_in_record = 0
        self._state = _START
