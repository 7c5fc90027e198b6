"""Saving a reply's attachments: decoded names, never outside the recipient's folder, never
overwriting what is there."""

from __future__ import annotations

import re
import unicodedata
from email.message import EmailMessage
from pathlib import Path

_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def safe_name(name: str) -> str:
    """A file name that stays inside its folder on Linux and Windows alike."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]  # no folders, whichever slash
    name = _UNSAFE.sub("_", name).strip().lstrip(".").rstrip(". ")
    if not name:
        name = "вложение"
    if _RESERVED.match(name):
        name = "_" + name
    return name[:180]


def _free_path(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    counter = 2
    while candidate.exists():
        candidate = folder / (f"{stem} ({counter}).{suffix}" if suffix else f"{stem} ({counter})")
        counter += 1
    return candidate


def save_attachments(message: EmailMessage, folder: Path) -> list[Path]:
    saved: list[Path] = []
    root = folder.resolve()
    for part in message.iter_attachments():
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        root.mkdir(parents=True, exist_ok=True)
        path = _free_path(root, safe_name(str(filename or "вложение")))
        if path.resolve().parent != root:
            continue  # belt and braces: nothing may land outside the folder
        with path.open("xb") as out:  # "x": never overwrite, even in a race
            out.write(payload)
        saved.append(path)
    return saved
