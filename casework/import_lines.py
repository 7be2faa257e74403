"""Reading an import file: its physical lines, decoded and checked, and each line's cells.

The format is one row per line (docs/import-format.md): a line ends at a line feed, so a quoted
cell can never run on into the next row, and every problem found here belongs to one line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

# Limits, documented in docs/import-format.md. A note is free text: 10,000 characters is
# several pages, far beyond any evidence note seen. The line limit bounds the memory one
# line can take; every line whose cells are within their own limits fits in it (a note of
# 10,000 four-byte characters is 40,000 bytes).
NOTE_MAX_CHARS = 10_000
LINE_MAX_BYTES = 65_536


# Step 1a: physical lines ------------------------------------------------------------------------------------------


class LineError(Exception):
    """A line that cannot be read as a row; its message is the problem reported for it."""


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"


def lines(source: IO[bytes] | IO[str] | Iterable[str]) -> Iterator[tuple[int, str | None, str | None]]:
    """Each physical line as (number, text without its line break, None) or (number, None, problem).

    A line is what ends at a line feed, so a cell can never run on into the next
    line. A file that is not UTF-8 at all (UTF-16) gives one problem on line 1 and ends.
    """
    for number, raw in enumerate(_raw_lines(source), start=1):
        if raw is None:
            yield (
                number,
                None,
                f"the line is longer than {LINE_MAX_BYTES:,} bytes (a note has at most {NOTE_MAX_CHARS:,} characters)",
            )
            continue
        if number == 1 and isinstance(raw, bytes) and _looks_like_utf16(raw):
            yield number, None, "the file is UTF-16 text, not UTF-8: save it as “CSV UTF-8 (comma delimited)”"
            return
        try:
            yield number, _text_of(raw, first=number == 1), None
        except LineError as error:
            yield number, None, str(error)
        except UnicodeDecodeError:  # a text file opened with a strict encoding: nothing after this can be trusted
            yield number, None, "the file is not UTF-8 text from this line on: save it as “CSV UTF-8”"
            return


def _raw_lines(source: IO[bytes] | IO[str] | Iterable[str]) -> Iterator[bytes | str | None]:
    """Each line with its line break, or None for a line too long to read (skipped, never held whole)."""
    readline = getattr(source, "readline", None)
    if readline is None:
        yield from source
        return
    while chunk := readline(LINE_MAX_BYTES + 1):
        if len(chunk) > LINE_MAX_BYTES and chunk[-1:] not in (b"\n", "\n"):
            while (rest := readline(LINE_MAX_BYTES)) and rest[-1:] not in (b"\n", "\n"):
                pass
            yield None
        else:
            yield chunk


def _looks_like_utf16(first_line: bytes) -> bool:
    # With no byte order mark, UTF-16 text of ASCII letters has a NUL in every other byte.
    return first_line[:2] in UTF16_BOMS or (len(first_line) >= 2 and 0 in first_line[:2])


def _text_of(raw: bytes | str, *, first: bool) -> str:
    if isinstance(raw, bytes):
        if first and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = raw[error.start]
            guess = bytes([byte]).decode("cp1252", errors="replace")
            raise LineError(
                f"the line is not UTF-8 text: byte 0x{byte:02X} at byte {error.start + 1} "
                f"(“{guess}” in Latin-1 or Windows-1252?); save the file as “CSV UTF-8”"
            ) from None
    else:
        text = raw.removeprefix("\ufeff") if first else raw
    if text.endswith("\n"):
        text = text[:-2] if text.endswith("\r\n") else text[:-1]
    if "\x00" in text:
        raise LineError(
            f"the line has a NUL character at position {text.index(chr(0)) + 1}: "
            "is the file plain text, saved as “CSV UTF-8”?"
        )
    if "\r" in text:
        raise LineError("the line has a carriage return inside it: a cell may not contain a line break")
    return text


# Step 1b: cells --------------------------------------------------------------------------------------------------


def cells(text: str, header: Sequence[str]) -> list[str]:
    if '"' not in text:
        return text.split(",")
    try:
        return next(csv.reader((text,), strict=True))
    except csv.Error:
        raise LineError(_quote_problem(text, header)) from None


def _quote_problem(text: str, header: Sequence[str]) -> str:
    """Which cell's quotes are wrong, and how: the same reading as the csv module's default dialect."""
    cell, position, end = 0, 0, len(text)
    while position <= end:
        where = f"cell {cell + 1}" + (f" ({header[cell]})" if cell < len(header) else "")
        if text.startswith('"', position):
            close = position + 1
            while (close := text.find('"', close)) != -1 and text.startswith('"', close + 1):
                close += 2
            if close == -1:
                return (
                    f"a quote opens {where} and is not closed on this line: a cell may not contain a line break, "
                    'and a quote inside a quoted cell is written twice ("")'
                )
            if close + 1 < end and text[close + 1] != ",":
                return f'{where} has text after its closing quote: a quote inside a quoted cell is written twice ("")'
            position = close + 2
        else:
            comma = text.find(",", position)
            if comma == -1:
                break
            position = comma + 1
        cell += 1
    return "the line cannot be read as CSV"


def shown(text: str, limit: int = 40) -> str:
    """A cell's text for a message: quoted, and cut short if long."""
    return repr(text if len(text) <= limit else f"{text[:limit]}…")
