"""Command line: parse options, load settings, call one use case, print its result."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from mailer.errors import MailerError
from mailer.settings import Settings, load_settings

EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_CHECK_FAILED = 3
EXIT_CANCELLED = 10
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


def _fail(error: MailerError) -> None:
    click.echo(f"{error.title}. {error}", err=True)
    raise click.exceptions.Exit(error.exit_code)


class MailerGroup(click.Group):
    """Turns the core's errors into a plain message and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailerError as error:
            _fail(error)
        except KeyboardInterrupt:
            click.echo(
                "\nПрервано. Всё, что уже отправлено, записано в журнал; повторный запуск "
                "отправит только оставшееся.",
                err=True,
            )
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def with_settings(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return command(_settings(click.get_current_context()), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group(cls=MailerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Файл настроек вместо .env в текущей папке.",
)
@click.version_option(package_name="mailer")
@click.pass_context
def cli(ctx: click.Context, env_file: Path | None) -> None:
    """Официальные письма по списку: предпросмотр, отправка, журнал.

    LETTER — имя папки письма в letters/ (например, quality-week) или путь к ней.
    """
    ctx.obj = load_settings(env_file)


recipients_option = click.option(
    "--recipients",
    "-r",
    type=click.Path(path_type=Path),
    default=None,
    help="Список получателей (CSV или XLSX). По умолчанию — из настроек письма или recipients.csv.",
)


@cli.command()
@click.argument("letter")
@recipients_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Папка предпросмотра (по умолчанию preview/ИМЯ_ПИСЬМА).",
)
@with_settings
def preview(settings: Settings, letter: str, recipients: Path | None, out: Path | None) -> None:
    """Собрать письма всем получателям без отправки и показать их в index.html."""
    from mailer.preview import run_preview

    result = run_preview(settings, letter, recipients, out)
    click.echo(f"Готово: письма для {result.count} получателей в папке {result.folder}.")
    click.echo(f"Откройте в браузере: {result.index.resolve().as_uri()}")
    if result.shared_docx_sha256:
        click.echo(f"Один документ для всех; SHA-256 {result.shared_docx_sha256}.")
    click.echo("Ничего не отправлено.")


@cli.command()
@click.argument("letter")
@recipients_option
@with_settings
def check(settings: Settings, letter: str, recipients: Path | None) -> None:
    """Проверить список, шаблоны и оформление документа по ГОСТ Р 7.0.97, ничего не отправляя."""
    from mailer.check import run_check
    from mailer.russian import date_words

    report = run_check(settings, letter, recipients)
    s = report.letter.settings
    click.echo(f"Письмо: {s.subject}, {report.letter.registration_label}.")
    click.echo(f"Список получателей: {report.recipients}, ошибок нет; шаблоны собираются.")
    if report.letter.deadline:
        note = f" ({report.letter.deadline_note})" if report.letter.deadline_note else ""
        click.echo(f"Срок ответа: {date_words(report.letter.deadline)}{note}")
    if report.ok:
        click.echo(
            f"Документ (проверено: {report.documents_checked}) оформлен по ГОСТ Р 7.0.97-2025: "
            "реквизиты, поля, шрифт, отметка об электронной подписи."
        )
        return
    click.echo(f"В оформлении документа есть замечания ({len(report.problems)}):")
    for problem in report.problems:
        click.echo(f"  {problem}")
    raise click.exceptions.Exit(EXIT_CHECK_FAILED)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@cli.command()
@click.argument("letter")
@recipients_option
@click.option(
    "--only",
    multiple=True,
    metavar="ID",
    help="Отправить только этим получателям (можно указать несколько раз).",
)
@click.option("--yes", "-y", is_flag=True, help="Не спрашивать подтверждения.")
@click.option(
    "--dry-run", is_flag=True, help="Показать, кому уйдёт письмо, и ничего не отправлять."
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="Отправить повторно письма, о которых неизвестно, дошли ли они.",
)
@with_settings
def send(
    settings: Settings,
    letter: str,
    recipients: Path | None,
    only: tuple[str, ...],
    yes: bool,
    dry_run: bool,
    resend_uncertain: bool,
) -> None:
    """Отправить письмо получателям через почтовый сервер (SMTP)."""
    from mailer.campaign import execute_send, plan_send, uncertain_hint
    from mailer.render import address
    from mailer.russian import date_words

    plan = plan_send(settings, letter, recipients, only, resend_uncertain)
    s = plan.letter.settings
    mode = "персонально каждому" if s.mode == "personal" else "один документ «по списку»"
    click.echo(f"Письмо: {s.subject}, {plan.letter.registration_label} ({mode}).")
    if plan.letter.deadline:
        click.echo(f"Срок ответа: {date_words(plan.letter.deadline)}")
    click.echo(
        f"Список: {plan.prepared.recipients.path}, получателей: {len(plan.prepared.recipients)}."
    )
    click.echo(
        f"Сервер: {settings.smtp_host}:{settings.smtp_port_effective} "
        f"({settings.smtp_security}); отправитель: {plan.prepared.sender.address}."
    )
    if plan.already_sent:
        click.echo(f"Уже отправлено раньше: {len(plan.already_sent)} (повторно не отправляются).")
    stuck = plan.uncertain + plan.interrupted
    if stuck:
        click.echo(
            f"Неизвестно, дошло ли письмо ({len(stuck)}): {', '.join(stuck)}. "
            "Повторно не отправляются без --resend-uncertain."
        )
    if not plan.to_send:
        click.echo("Отправлять нечего.")
        if stuck:
            click.echo(uncertain_hint())
            raise click.exceptions.Exit(EXIT_INCOMPLETE)
        return
    first = plan.to_send[0]
    click.echo(
        f"Будет отправлено: {len(plan.to_send)}. Первый получатель: "
        f"{_one_line(address(first).addressee)} <{', '.join(first.emails)}>."
    )
    if dry_run:
        for recipient in plan.to_send:
            click.echo(
                f"  {recipient.id}: {_one_line(address(recipient).addressee)} "
                f"<{', '.join(recipient.emails)}>"
            )
        click.echo(
            "Пробный запуск (--dry-run): ничего не отправлено. Сами письма покажет "
            f"команда: mailer preview {letter}"
        )
        return
    if not yes and not click.confirm("Отправить?", default=False):
        click.echo("Отменено. Ничего не отправлено.")
        raise click.exceptions.Exit(EXIT_CANCELLED)

    with click.progressbar(length=len(plan.to_send), label="Отправка", file=sys.stderr) as bar:
        summary = execute_send(plan, progress=lambda _rid, _outcome: bar.update(1))

    if summary.recovered:
        click.echo(
            f"Прошлый запуск прервался при передаче писем: {', '.join(summary.recovered)} — "
            "отмечены как «неизвестно, дошло ли»."
        )
    click.echo(f"Отправлено: {len(summary.sent)}.")
    if summary.slowdowns:
        click.echo(f"Сервер просил отправлять медленнее ({summary.slowdowns} раз): темп снижен.")
    for title, items in (
        ("Сервер отказался принять письмо", summary.failed),
        ("Не отправлено из-за временной ошибки", summary.deferred),
        ("Неизвестно, дошло ли письмо", summary.uncertain),
    ):
        if items:
            click.echo(f"{title} ({len(items)}):")
            for rid, detail in items:
                click.echo(f"  {rid}: {detail}")
    if summary.uncertain or summary.recovered:
        click.echo(uncertain_hint())
    if summary.failed or summary.deferred:
        click.echo(
            "Запустите ту же команду снова: уйдут только неотправленные письма "
            "(после исправления адресов — и отклонённые)."
        )
    if not summary.complete or summary.recovered or stuck:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def main() -> None:
    cli(prog_name="mailer")
