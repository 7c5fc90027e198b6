"""Reading an mbox export as its writer meant it, not as a careless one wrote it.

Some clients write a body line starting with "From " as is (unescaped). The standard library's
reader starts a new message at every such line, which cuts the message in two: the first half
loses the rest of its text and attachments, the second half looks like a message of its own.
Here a "From " line starts a message only when it looks like a separator (after a blank line or
at the start, "From ADDRESS DATE" with a time and a year) and a header block with From:, Date:
or Message-ID: follows it. A piece that is still cut (its multipart never closed) is marked so,
and so is the piece after it: neither may count as anyone's answer.

The file is read line by line, never whole, so a 200 MB message costs no more than its lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_SEPARATOR = re.compile(rb"^From \S+ .*\b\d{1,2}:\d{2}(:\d{2})?\b.*\b\d{4}\b")
_HEADER = re.compile(rb"^[!-9;-~]+:")
_KEY_HEADER = re.compile(rb"^(from|date|message-id):", re.IGNORECASE)
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;]+))', re.IGNORECASE)
_HEADER_LOOKAHEAD = 200  # lines of a header block read to decide on a separator


@dataclass(frozen=True)
class Span:
    number: int  # 1-based, as a mail client lists them
    start: int  # the first byte after the "From " line
    end: int
    cut: bool  # this piece's multipart never closed, or it is the rest of such a piece


def _blank(line: bytes) -> bool:
    return line in (b"\n", b"\r\n")


def _is_header_block(lines: list[bytes]) -> bool:
    """The lines after a candidate separator: headers (with continuations) up to a blank
    line, among them From:, Date: or Message-ID:."""
    key = False
    for number, line in enumerate(lines):
        if _blank(line):
            return key and number > 0
        if line[:1] in (b" ", b"\t") and number > 0:
            continue
        if not _HEADER.match(line):
            return False
        key = key or bool(_KEY_HEADER.match(line))
    return False


def _starts(handle: BinaryIO) -> Iterator[tuple[int, int]]:
    """(offset of a separator line, offset of the message after it), for each real separator."""
    offset = 0
    previous_blank = True
    lookahead: list[bytes] = []
    while True:
        line = lookahead.pop(0) if lookahead else handle.readline()
        if not line:
            return
        # the file's first line is a separator whatever its date looks like
        candidate = line.startswith(b"From ") and (
            offset == 0 or (previous_blank and _SEPARATOR.match(line))
        )
        if candidate:
            while len(lookahead) < _HEADER_LOOKAHEAD:
                more = handle.readline()
                if not more:
                    break
                lookahead.append(more)
                if _blank(more):
                    break
            if _is_header_block(lookahead):
                yield offset, offset + len(line)
        previous_blank = _blank(line)
        offset += len(line)


def _closes(handle: BinaryIO, start: int, end: int) -> bool:
    """Whether a message's top multipart (if it is one) reaches its closing delimiter."""
    handle.seek(start)
    head = handle.read(min(end - start, 64 * 1024))
    header_block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    if not re.search(rb"^content-type:\s*multipart/", header_block, re.I | re.M):
        return True
    found = _BOUNDARY.search(re.sub(rb"\r?\n[ \t]+", b" ", header_block))
    if not found:
        return True
    closing = b"--" + (found[1] or found[2]) + b"--"
    tail_from = max(start, end - 64 * 1024)
    handle.seek(tail_from)
    return closing in handle.read(end - tail_from)


def spans(path: Path) -> list[Span]:
    """Where each message of an mbox file lies: offsets only, the file is not kept in memory."""
    with path.open("rb") as handle:
        starts = list(_starts(handle))
        size = handle.seek(0, 2)
        result: list[Span] = []
        previous_cut = False
        for number, (_separator, start) in enumerate(starts, start=1):
            end = starts[number][0] if number < len(starts) else size
            cut = not _closes(handle, start, end)
            result.append(Span(number, start, end, cut or previous_cut))
            previous_cut = cut
    return result


def read_span(path: Path, span: Span, limit: int) -> bytes:
    """A message's bytes, or only its first LIMIT bytes."""
    with path.open("rb") as handle:
        handle.seek(span.start)
        data = handle.read(min(span.end - span.start, limit))
    # the blank line before the next separator belongs to the mbox format, not the message
    if data.endswith(b"\r\n\r\n"):
        return data[:-2]
    return data[:-1] if data.endswith(b"\n\n") else data
