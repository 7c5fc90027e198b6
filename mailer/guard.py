"""One guard for each way hostile text can hurt: a terminal (control characters and escape
sequences), a spreadsheet (a cell read as a formula) and a file system (a name that escapes its
folder or is too long). Every string from a mailbox, a list or a letter goes through these on its
way out."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# ECMA-48: CSI (ESC [ … final), OSC/DCS/APC/PM/SOS strings (ended by BEL or ESC \), and the
# two-character escapes; their 8-bit forms are C1 controls, removed below with the rest.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_SPACES = re.compile(r"[ \t\r\n\f\v\u2028\u2029\x85]+")
TERMINAL_LIMIT = 200


def terminal_text(value: object, limit: int = TERMINAL_LIMIT) -> str:
    """Text from outside, fit to print: escape sequences and every control or format
    character (bidi overrides included) removed, whitespace runs as one space, at most
    LIMIT characters."""
    text = _ESCAPES.sub("", "" if value is None else str(value))
    text = _SPACES.sub(" ", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    text = text.strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


# OWASP, CSV injection: what a spreadsheet reads as the start of a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def looks_like_formula(value: str) -> bool:
    return value.startswith(_FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A CSV value that no spreadsheet runs: text that would start a formula gets a leading
    apostrophe, which Excel and LibreOffice take as "this is text" (OWASP's advice)."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def xlsx_text_only(sheet: Any) -> None:
    """Every text cell of an openpyxl sheet stored as a string: openpyxl turns any value
    starting with "=" into a formula unless told otherwise."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
NAME_BYTES = 255  # the limit of one path component on Linux file systems (and of NTFS in UTF-16)
COMPOSED_BYTES = 200  # a name the program makes: room left for a number before, an extension after
_SLASH = re.compile(r"[\\/]")
_ANY_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.[0-9A-Za-zА-Яа-яЁё_-]{1,16}$")


def fit_bytes(stem: str, suffix: str = "", limit: int = NAME_BYTES) -> str:
    """STEM + SUFFIX in at most LIMIT bytes of UTF-8, the stem shortened at a character
    boundary (never inside a letter), the suffix (the extension) kept."""
    room = limit - len(suffix.encode())
    if room < 1:
        suffix, room = "", limit
    encoded = stem.encode()
    if len(encoded) > room:
        stem = encoded[:room].decode("utf-8", "ignore").rstrip(". ")
    return stem + suffix


def split_extension(name: str) -> tuple[str, str]:
    found = _EXTENSION.search(name)
    if not found or found.start() == 0:
        return name, ""
    return name[: found.start()], found[0]


def file_name(
    name: str,
    fallback: str = "вложение",
    limit: int | None = None,
    *,
    composed: bool = False,
) -> str:
    """The one file-name guard. A single file name that stays inside its folder on Linux and
    Windows alike: no folders, no control, format or reserved characters, no leading dot, no
    device names, every run of whitespace (a non-breaking space too) as one space, at most
    LIMIT bytes in any script, never cut inside a letter.

    A name from outside (an attachment's) keeps only its last part, whichever the slash, and
    its extension when shortened; at most 255 bytes. A name the program COMPOSED from its own
    parts, to which an extension is added after, keeps every part: a slash becomes "_" (a
    registration number "17-01/228" is no folder), it is shortened at its end, and it takes at
    most COMPOSED_BYTES, leaving room for a number before and an extension after."""
    name = unicodedata.normalize("NFC", terminal_text(name, limit=10_000))
    name = _ANY_SPACES.sub(" ", name)
    name = _SLASH.sub("_", name) if composed else _SLASH.split(name)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        name = fallback
    if _RESERVED.match(name):
        name = "_" + name
    if composed:
        return fit_bytes(name, limit=limit or COMPOSED_BYTES).rstrip(". ") or fallback
    stem, suffix = split_extension(name)
    return fit_bytes(stem, suffix, limit or NAME_BYTES) or fallback
