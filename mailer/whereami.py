"""Where am I: the folder a command runs in, the settings it found, where it looks for letters and
the journal. Said when the folder does not look like the office's mailer folder, so that a
command run from the wrong place says so instead of quietly using defaults."""

from __future__ import annotations

from pathlib import Path

from mailer.journal.engine import describe, is_postgresql
from mailer.settings import Settings

# the settings that decide where things are and where mail goes
ORIENTING = ("smtp_host", "imap_host", "db", "letters_dir")


def outside_project(settings: Settings) -> bool:
    return not settings.letters_dir.is_dir()


def orientation(settings: Settings, env_file: Path | None) -> list[str]:
    here = Path.cwd()
    env_path = (env_file or Path(".env")).absolute()
    lines = [f"Папка, в которой запущена программа: {here}"]
    if env_path.is_file():
        lines.append(f"Настройки прочитаны из {env_path}.")
    else:
        lines.append(f"Файла настроек {env_path} нет: настройки — из окружения или по умолчанию.")
    defaults = [
        f"MAILER_{name.upper()}={getattr(settings, name) or 'не задан'}"
        for name in ORIENTING
        if name not in settings.model_fields_set
    ]
    if defaults:
        lines.append(f"По умолчанию: {', '.join(defaults)}.")
    letters = settings.letters_dir.absolute()
    lines.append(
        f"Письма ищутся в папке {letters}" + ("." if letters.is_dir() else " — такой папки нет.")
    )
    if is_postgresql(settings.db):
        lines.append(f"Журнал: на сервере PostgreSQL, {describe(settings.db)}.")
        return lines
    journal = Path(settings.db).absolute()
    lines.append(f"Журнал: {journal}" + ("." if journal.exists() else " — ещё не создан."))
    return lines
