"""The last resort: whatever ends a command, the user reads a short Russian paragraph and gets a
documented exit code; the traceback goes to a log file for the IT person, never to the screen
(unless asked for with --debug).
"""

from __future__ import annotations

import errno
import sys
import tempfile
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from mailer.errors import JournalError, MailerError, OutputError

_CANNOT_WRITE = {
    errno.ENOSPC: "диск заполнен",
    errno.EDQUOT: "исчерпана квота на диске",
    errno.EROFS: "диск только для чтения",
}  # only what cannot be a reading error (a refused permission could be either)


def leaves(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions inside an exception group (asyncio's TaskGroup raises them), or itself."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaves(inner)
    else:
        yield exc


def known_error(exc: BaseException, journal: Path) -> MailerError | None:
    """The error of the core this exception stands for: a MailerError (perhaps inside a group),
    or a fault of the journal's database, wherever it surfaced, as a JournalError in words."""
    import sqlite3

    found = list(leaves(exc))
    for leaf in found:
        if isinstance(leaf, MailerError):
            return leaf
    for leaf in found:
        if isinstance(leaf, sqlite3.Error):
            return JournalError.from_fault(leaf, journal)
        # the journal's own files (its lock, its WAL) failing at the operating system's level
        if isinstance(leaf, OSError) and str(leaf.filename or "").startswith(str(journal)):
            return JournalError.from_fault(leaf, journal)
    for leaf in found:
        # a file the user asked for (a preview, a report) that the disk will not take
        if isinstance(leaf, OSError) and leaf.errno in _CANNOT_WRITE:
            what = f"Файл {leaf.filename}" if leaf.filename else "Файл"
            return OutputError(
                f"{what} не записывается: {_CANNOT_WRITE[leaf.errno]}.",
                hint="Освободите место или выберите другую папку и запустите команду снова.",
            )
    return None


def interrupted(exc: BaseException) -> bool:
    return any(isinstance(leaf, KeyboardInterrupt) for leaf in leaves(exc))


def write_details(exc: BaseException, log_dir: Path) -> Path | None:
    """The traceback, the command line and the versions, in a new file under ``log_dir`` (or
    the system's temporary folder if that cannot be written). None if nowhere can be."""
    from importlib.metadata import version

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = (
        f"mailer {version('mailer')}, Python {sys.version.split()[0]}, "
        f"{datetime.now().isoformat()}\nКоманда: {' '.join(sys.argv)}\nПапка: {Path.cwd()}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    for folder in (log_dir, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(100):
                path = folder / f"mailer-error-{stamp}{f'-{n}' if n else ''}.log"
                try:
                    with path.open("x", encoding="utf-8") as handle:
                        handle.write(text)
                    return path
                except FileExistsError:
                    continue
        except OSError:
            continue
    return None


def internal_message(exc: BaseException, details: Path | None, done: str) -> str:
    """What the user reads after a fault of the program itself."""
    leaf = next(leaves(exc))
    what = f"{type(leaf).__name__}: {leaf}" if str(leaf) else type(leaf).__name__
    if len(what) > 300:
        what = what[:300] + "…"
    where = (
        f"Подробности записаны в файл {details}; передайте его ИТ-специалисту."
        if details
        else "Подробности записать не удалось (нет папки, доступной для записи); запустите "
        "команду с --debug, чтобы увидеть их на экране."
    )
    return f"Внутренняя ошибка программы ({what}). {done} {where}"
