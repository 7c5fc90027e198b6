"""The one text markup of a letter, and its three outputs (plain text, HTML, DOCX paragraphs).

A rendered template is plain text read this way: paragraphs are separated by blank lines; a line
starting with "- ", "– " or "• " is a list item (a following line without a marker continues it);
inside a paragraph, line breaks are kept.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

_ITEM = re.compile(r"^\s*(?:[-–—•])\s+")
_URL = re.compile(r"(https?://[^\s<>«»\"]+[^\s<>«»\".,;:!?)\]])")


@dataclass(frozen=True, slots=True)
class Block:
    kind: Literal["para", "item"]
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


# Most of a letter is the same for every recipient: the same text gives the same blocks, and
# the same block the same HTML and DOCX paragraph. Bounded caches keep that work to once.
CACHE_SIZE = 4096


def parse_blocks(text: str) -> list[Block]:
    return list(_parsed(text))


@lru_cache(maxsize=256)
def _parsed(text: str) -> tuple[Block, ...]:
    blocks: list[Block] = []
    current: list[str] = []
    kind: Literal["para", "item"] = "para"

    def flush() -> None:
        nonlocal current
        if current:
            blocks.append(Block(kind, tuple(current)))
        current = []

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        marker = _ITEM.match(raw)
        if marker:
            flush()
            kind = "item"
            current = [raw[marker.end() :].strip()]
        elif kind == "item" and current:
            current[-1] = f"{current[-1]} {line}"
        else:
            if not current:
                kind = "para"
            current.append(line)
    flush()
    return tuple(blocks)


def to_plain(blocks: list[Block]) -> str:
    parts = [("– " + b.text) if b.kind == "item" else b.text for b in blocks]
    return "\n\n".join(parts) + "\n"


def _inline_html(text: str) -> str:
    out = []
    for piece in _URL.split(text):
        if _URL.fullmatch(piece):
            url = html.escape(piece, quote=True)
            out.append(f'<a href="{url}">{url}</a>')
        else:
            out.append(html.escape(piece, quote=False))
    return "".join(out)


@lru_cache(maxsize=CACHE_SIZE)
def _block_html(block: Block) -> str:
    content = "<br>\n".join(_inline_html(line) for line in block.lines)
    return f"<li>{content}</li>" if block.kind == "item" else f"<p>{content}</p>"


def to_html(blocks: list[Block]) -> str:
    out: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == "item" and not in_list:
            out.append("<ul>")
            in_list = True
        elif block.kind != "item" and in_list:
            out.append("</ul>")
            in_list = False
        out.append(_block_html(block))
    if in_list:
        out.append("</ul>")
    return "\n".join(out)
