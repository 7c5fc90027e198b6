"""The one exception family of the core.

Every error a user can cause or meet carries a message in plain words and the exit code the CLI
returns for it. The CLI prints ``str(error)`` and never a traceback for these.
"""

from __future__ import annotations


class MailerError(Exception):
    """Base of every error the core raises on purpose."""

    exit_code = 1
    title = "Ошибка"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n{self.hint}"


class InputError(MailerError):
    """The letter folder, its templates or the recipient list is wrong; nothing was sent."""

    exit_code = 3
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

    exit_code = 4
    title = "Ошибка в настройках программы"


class ServerError(MailerError):
    """The mail server cannot be reached, refuses the login or the connection."""

    exit_code = 5
    title = "Ошибка почтового сервера"


class JournalError(MailerError):
    """The journal database cannot be opened or is in use by another run."""

    exit_code = 6
    title = "Ошибка журнала"


class OutputError(MailerError):
    """An output folder or file cannot be written without losing something the user had."""

    exit_code = 7
    title = "Ошибка записи файлов"
