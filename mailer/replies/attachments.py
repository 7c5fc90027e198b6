"""Saving a reply's attachments: decoded names fit for any file system, never outside the
recipient's folder, never overwriting what is there, never half-written.

Each file is first written whole under a temporary name (and synced), then linked into place
under its free name, just before its reply is recorded. A run killed before that leaves only
temporary files, which the next run removes; a run killed between the two leaves a complete file
that no record names, which the next run takes for the same message instead of writing a copy.
"""

from __future__ import annotations

import binascii
import hashlib
import os
import secrets
from collections.abc import Callable, Iterable
from email.message import EmailMessage, Message
from pathlib import Path

from mailer.files import free_name
from mailer.guard import file_name
from mailer.replies.classify import Unreadable

PARTIAL = ".mailer-partial-"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _decoded(part: Message) -> object:
    """A part's bytes. Base64 (nearly every attachment) is decoded in one step: the email
    package first splits it into a list of lines, several times the file's size."""
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        text = part.get_payload()
        if isinstance(text, str) and text.isascii():
            try:
                return binascii.a2b_base64(text)
            except binascii.Error:
                pass  # bad padding and the like: the email package copes
    return part.get_payload(decode=True)


def stage(message: EmailMessage, folder: Path) -> list[tuple[Path, str]]:
    """Each attachment written whole under a temporary name in FOLDER: (that file, the name
    it is to have)."""
    staged: list[tuple[Path, str]] = []
    root = folder.resolve()
    try:
        for part in message.iter_attachments():
            try:
                payload = _decoded(part)
                name = file_name(str(part.get_filename() or "вложение"))
            except Exception as exc:  # a part the email package cannot read: hostile bytes
                raise Unreadable(f"вложение не удалось прочитать ({type(exc).__name__})") from None
            if not isinstance(payload, bytes):
                continue
            root.mkdir(parents=True, exist_ok=True)
            temporary = root / f"{PARTIAL}{secrets.token_hex(8)}"
            staged.append((temporary, name))
            with temporary.open("xb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
    except BaseException:
        discard(path for path, _ in staged)
        raise
    return staged


def place(staged: list[tuple[Path, str]], referenced: set[str]) -> list[Path]:
    """The staged files under their own names. A file already there under that name (or its
    numbered form) that no record names and that holds the same bytes is one an interrupted
    run placed for this very message: it is taken, not copied again."""
    placed: list[Path] = []
    for temporary, name in staged:
        size, digest = temporary.stat().st_size, _digest(temporary)

        def ours(path: Path, size: int = size, digest: str = digest) -> bool:
            return (
                str(path) not in referenced
                and path not in placed
                and path.is_file()
                and path.stat().st_size == size
                and _digest(path) == digest
            )

        target = _link(temporary, name, ours)
        if target is not None:
            placed.append(target)
    return placed


def _link(temporary: Path, name: str, ours: Callable[[Path], bool]) -> Path | None:
    while True:
        target = free_name(temporary.parent, name, reuse=ours)
        if target.resolve().parent != temporary.parent:
            temporary.unlink()
            return None  # belt and braces: nothing may land outside the folder
        if target.exists():  # left by an interrupted run for this message
            temporary.unlink()
            return target
        try:
            os.link(temporary, target)  # never overwrites, even in a race
        except FileExistsError:
            continue
        temporary.unlink()
        return target


def discard(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def remove_partials(folder: Path) -> None:
    """Temporary files an interrupted run left (the journal's lock says none is running)."""
    if folder.is_dir():
        discard(p for p in folder.rglob(PARTIAL + "*") if p.is_file())
