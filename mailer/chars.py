"""Characters that must not reach a document or a header, named in words for the message.

XML 1.0 (the DOCX and XLSX inside) cannot hold control characters other than tab and line
breaks, lone surrogates, U+FFFE or U+FFFF: one such character makes the whole document
unreadable. A header or a protocol line (SMTP, IMAP) must hold no control character at all: a
line break there starts a header or a command of its own.
"""

from __future__ import annotations

import re
import unicodedata

_NAMES = {
    "\n": "перевод строки",
    "\r": "возврат каретки",
    "\t": "табуляция",
    "\u2028": "разделитель строк U+2028",
    "\u2029": "разделитель абзацев U+2029",
    "\x85": "перевод строки U+0085",
}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# soft hyphen and zero-width space are format characters that office files carry harmlessly
_HARMLESS_FORMAT = "\u00ad\u200b"


def _describe(char: str) -> str:
    return _NAMES.get(char) or f"управляющий символ U+{ord(char):04X}"


def xml_illegal(value: str) -> str | None:
    """What in ``value`` a document cannot hold, or None."""
    found = _XML_ILLEGAL.search(value)
    return None if found is None else _describe(found[0])


def line_unsafe(value: str) -> str | None:
    """A control, format or line-separating character: none may go into a header, a protocol
    line or a one-line field. None when the text is clean (the common case, at C speed)."""
    if value.isprintable():
        return None
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp", "Cs") or char in "\ufffe\uffff":
            return _describe(char)
        if category == "Cf" and char not in _HARMLESS_FORMAT:
            return _describe(char)
    return None


def text_unsafe(value: str) -> str | None:
    """For text that may have several lines (an addressee block, an address): line breaks and
    tabs are fine, any other control character and what XML cannot hold are not."""
    return line_unsafe(value.replace("\n", " ").replace("\r", " ").replace("\t", " "))
