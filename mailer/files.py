"""The user's files: written never over something that is already there, read within a bound."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mailer.errors import LetterError, OutputError
from mailer.guard import fit_bytes, split_extension
from mailer.system_ru import file_problem


def write_new_file(path: Path, data: bytes) -> Path:
    """Write a file that must not already exist: nothing the user had is overwritten."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as out:
            out.write(data)
    except FileExistsError:
        raise OutputError(
            f"Файл {path} уже есть; перезаписывать его программа не будет.",
            hint="Укажите другое имя файла или уберите старый.",
        ) from None
    except OSError as exc:
        raise OutputError(f"Не удалось записать {path}: {file_problem(exc)}.") from None
    return path


def free_name(folder: Path, name: str, reuse: Callable[[Path], bool] | None = None) -> Path:
    """The first of NAME, "NAME (2)", "NAME (3)" … that is not taken in FOLDER (or that REUSE
    accepts as it is), each within the file system's 255 bytes per name (the stem shortened,
    the extension kept)."""
    stem, suffix = split_extension(name)
    candidate = folder / fit_bytes(stem, suffix)
    counter = 2
    while candidate.exists() and not (reuse and reuse(candidate)):
        candidate = folder / (fit_bytes(stem, f" ({counter}){suffix}"))
        counter += 1
    return candidate


def read_bounded(path: Path, limit: int, what: str, limit_words: str) -> bytes:
    """A small file of a letter folder (a certificate, a signature), never read past LIMIT
    bytes. WHAT names it in the genitive ("сертификата", "подписи"), LIMIT_WORDS says the bound."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise LetterError(f"Файл {what} {path} не читается: {exc}.") from None
    if len(data) > limit:
        raise LetterError(f"Файл {path} слишком велик для {what} ({limit_words}).")
    return data
