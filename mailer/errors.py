"""The one exception family of the core.

Every error a user can cause or meet carries a message in plain words and the exit code the CLI
returns for it. The CLI prints ``str(error)`` and never a traceback for these.
"""

from __future__ import annotations

import errno
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Every exit code the program returns, in one place (the README's table lists them)."""

    OK = 0
    INCOMPLETE = 1  # letters not delivered: listed, run again
    USAGE = 2  # the command line is wrong (Click's own code)
    INPUT = 3  # the letter, its templates or the list
    CONFIG = 4  # the program's settings
    SERVER = 5  # the mail server
    JOURNAL = 6  # the journal cannot be used
    OUTPUT = 7  # an output would overwrite the user's files
    CANCELLED = 10  # "no" at the confirmation
    INTERNAL = 70  # a fault of the program itself (sysexits' EX_SOFTWARE)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
    OUTPUT_CLOSED = 141  # the output's reader stopped reading (`| head`): 128 + SIGPIPE


class MailerError(Exception):
    """Base of every error the core raises on purpose."""

    exit_code: int = ExitCode.INCOMPLETE
    title = "Ошибка"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class InputError(MailerError):
    """The letter folder, its templates or the recipient list is wrong; nothing was sent."""

    exit_code = ExitCode.INPUT
    title = "Ошибка во входных данных"


class RecipientsError(InputError):
    """One or more rows of the recipient list are wrong; all problems are listed at once."""

    title = "Ошибка в списке получателей"

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = problems[:50]
        more = f"\n  … и ещё {len(problems) - 50}" if len(problems) > 50 else ""
        body = "\n".join(f"  {p}" for p in shown)
        super().__init__(
            f"В списке получателей {path} найдено проблем: {len(problems)}.\n{body}{more}",
            hint="Исправьте файл и запустите команду снова. Ничего не отправлено.",
        )


class LetterError(InputError):
    """The letter's settings file or its attachments are wrong."""

    title = "Ошибка в настройках письма"


class TemplateError(InputError):
    """A template could not be read or rendered (syntax, unknown variable)."""

    title = "Ошибка в шаблоне письма"


class ConfigError(MailerError):
    """The program's settings (environment, .env) are wrong or missing."""

    exit_code = ExitCode.CONFIG
    title = "Ошибка в настройках программы"


class ServerError(MailerError):
    """The mail server cannot be reached, refuses the login or the connection."""

    exit_code = ExitCode.SERVER
    title = "Ошибка почтового сервера"


class JournalError(MailerError):
    """The journal database cannot be opened or is in use by another run."""

    exit_code = ExitCode.JOURNAL
    title = "Ошибка журнала"

    @classmethod
    def from_fault(cls, exc: BaseException, path: Path | str) -> JournalError:
        """The journal's database or file failed under us: the cause in words, with what to do.

        SQLite's error name tells the kind (sqlite3 exceptions carry it); an OSError its errno.
        A PostgreSQL server's failure is told as the server put it."""
        if isinstance(path, str) and path.startswith(("postgresql://", "postgres://")):
            return cls._server_fault(exc, path)
        path = Path(path)
        name = str(getattr(exc, "sqlite_errorname", "") or "")
        code = getattr(exc, "errno", None)
        if name == "SQLITE_FULL" or code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            cause = "диск заполнен"
            hint = (
                f"Освободите место на диске, где лежит журнал ({_free_space(path)}), и запустите "
                "ту же команду снова."
            )
        elif name.startswith("SQLITE_READONLY") or code in (errno.EROFS, errno.EPERM, errno.EACCES):
            cause = "файл журнала только для чтения"
            hint = (
                "Проверьте права на файл журнала и его папку (и не помечен ли файл неизменяемым: "
                f"lsattr {path}), затем запустите ту же команду снова."
            )
        elif name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
            cause = "журнал повреждён"
            hint = (
                "Не удаляйте и не заменяйте файл: в нём записано, кому письма уже ушли. Сохраните "
                "его копию и обратитесь к ИТ-специалисту (восстановление: sqlite3 .recover)."
            )
        elif name.startswith("SQLITE_CANTOPEN"):
            cause = "файл журнала не открывается: нет доступа к нему или к его папке"
            hint = (
                f"Проверьте путь MAILER_DB и права на папку журнала {path.parent} (и не помечена "
                f"ли она неизменяемой: lsattr -d {path.parent}), затем запустите команду снова."
            )
        elif name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
            cause = "журнал занят другим процессом"
            hint = "Дождитесь окончания другой команды mailer и запустите эту снова."
        elif name.startswith("SQLITE_IOERR") or isinstance(exc, OSError):
            cause = "ошибка чтения или записи диска"
            hint = f"Проверьте диск, на котором лежит журнал ({_free_space(path)})."
        else:
            cause = "ошибка базы данных"
            hint = "Обратитесь к ИТ-специалисту; не удаляйте файл журнала."
        return cls(f"Журнал {path} недоступен: {cause} ({exc}).", hint=hint)

    @classmethod
    def _server_fault(cls, exc: BaseException, url: str) -> JournalError:
        from mailer.journal.engine import describe  # the URL without its password

        lines = str(exc).strip().splitlines()
        cause = lines[0].rstrip(".") if lines else type(exc).__name__
        return cls(
            f"Журнал {describe(url)} недоступен: {cause}.",
            hint="Проверьте в MAILER_DB адрес сервера, имя базы и пользователя, и пароль "
            "(MAILER_DB_PASSWORD); если всё верно, спросите администратора, работает ли сервер "
            "PostgreSQL и пускает ли он этот компьютер. Отправленные письма записаны на сервере "
            "и повторно не уйдут.",
        )


class OutputError(MailerError):
    """An output folder or file cannot be written without losing something the user had."""

    exit_code = ExitCode.OUTPUT
    title = "Ошибка записи файлов"


def _free_space(path: Path) -> str:
    import shutil  # only when there is an error to explain: `mailer --help` starts without it

    try:
        free = shutil.disk_usage(path.parent if not path.is_dir() else path).free
    except OSError:
        return "свободное место неизвестно"
    return f"свободно {free / 1024 / 1024:.1f} МБ"
