"""How a command ends when it does not end well: the message a user reads and the documented
exit code, for the core's errors, Ctrl-C and anything unexpected (the CLI's handler calls these),
and what the run had already sent by then."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from mailer.errors import ExitCode, MailerError

if TYPE_CHECKING:
    from mailer.smtp import Outcome

# ctx.meta keys: how many letters this run has handed over, and whether a send began
SENT_SO_FAR = "mailer.sent_so_far"
SENDING = "mailer.sending"


def _done(ctx: click.Context, journal_failed: bool = False) -> str:
    """What the run had already done, for a message that ends it early."""
    if not ctx.meta.get(SENDING):
        return "Ничего не отправлено."
    sent = ctx.meta.get(SENT_SO_FAR, 0)
    if journal_failed:
        return (
            f"До ошибки отправлено писем: {sent}. Если сервер успел принять письмо, которое "
            "журнал не записал, следующий запуск отметит его как «неизвестно, дошло ли» и без "
            "--resend-uncertain повторно не отправит."
        )
    return (
        f"До остановки отправлено писем: {sent}; все они записаны в журнал, и повторный "
        "запуск той же команды отправит только оставшиеся."
    )


def fail(error: MailerError, ctx: click.Context) -> NoReturn:
    from mailer.errors import JournalError

    done = _done(ctx, isinstance(error, JournalError))
    tail = f"\n{done}" if ctx.meta.get(SENDING) else ""
    click.echo(f"{error.title}. {error}{tail}", err=True)
    raise click.exceptions.Exit(error.exit_code)


def interrupted(ctx: click.Context) -> NoReturn:
    click.echo(f"\nПрервано (Ctrl-C). {_done(ctx)}", err=True)
    raise click.exceptions.Exit(ExitCode.INTERRUPTED)


def output_closed() -> NoReturn:
    """The reader of our output went away (`mailer status | head`): not a fault. Nothing more
    can be printed there, so stdout goes to /dev/null for the interpreter's final flush."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise click.exceptions.Exit(ExitCode.OUTPUT_CLOSED)


def last_resort(exc: BaseException, ctx: click.Context) -> NoReturn:
    """Anything the core did not expect: a short message, the details in a log file."""
    import logging
    import traceback

    from mailer import failsafe
    from mailer.settings import Settings

    settings = ctx.obj if isinstance(ctx.obj, Settings) else None
    known = failsafe.known_error(exc, settings.db if settings else Path("mailer.db"))
    if known is not None:
        fail(known, ctx)
    if failsafe.interrupted(exc):
        interrupted(ctx)
    transcript = logging.getLogger("mailer")
    if transcript.handlers:  # --verbose; without a handler logging would print it on screen
        transcript.error("внутренняя ошибка", exc_info=exc)
    details = failsafe.write_details(exc, settings.log_dir if settings else Path("logs"))
    if ctx.params.get("debug"):
        click.echo("".join(traceback.format_exception(exc)), err=True)
    click.echo(failsafe.internal_message(exc, details, _done(ctx)), err=True)
    raise click.exceptions.Exit(ExitCode.INTERNAL)


def count_progress(shown: Callable[[str, Outcome], None]) -> Callable[[str, Outcome], None]:
    """The progress display's callback, also counting what went, for a message that ends
    early."""
    from mailer.smtp import Outcome

    ctx = click.get_current_context()
    ctx.meta[SENDING] = True
    ctx.meta.setdefault(SENT_SO_FAR, 0)

    def progress(_rid: str, outcome: Outcome) -> None:
        if outcome is Outcome.SENT:
            ctx.meta[SENT_SO_FAR] += 1
        shown(_rid, outcome)

    return progress
