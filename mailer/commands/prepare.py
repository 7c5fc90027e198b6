"""Before sending: `preview`, `for-signing` and `check`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailer import next_steps
from mailer.click_ru import RussianCommand
from mailer.commands.shared import (
    letter_command,
    list_notes,
    recipients_option,
    sheet_option,
    show_next_steps,
    with_settings,
)
from mailer.errors import ExitCode

if TYPE_CHECKING:
    from mailer.settings import Settings


@letter_command
@recipients_option
@sheet_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="ПАПКА",
    default=None,
    help="Папка предпросмотра (по умолчанию preview/ИМЯ_ПИСЬМА).",
)
@with_settings
def preview(
    settings: Settings, letter: str, recipients: Path | None, sheet: str | None, out: Path | None
) -> None:
    """Собрать письма всем получателям без отправки и показать их в index.html."""
    from mailer.preview import run_preview

    result = run_preview(settings, letter, recipients, out, sheet)
    list_notes(result.list_notes)
    click.echo(f"Готово: письма для {result.count} получателей в папке {result.folder}.")
    click.echo(f"Откройте в браузере: {result.index.resolve().as_uri()}")
    if result.shared_docx_sha256:
        click.echo(f"Один документ для всех; SHA-256 {result.shared_docx_sha256}.")
    click.echo(f"Электронная подпись: {result.signature}.")
    click.echo("Ничего не отправлено.")
    show_next_steps(next_steps.after_preview(letter, next_steps.same_list(recipients, sheet)))


@click.command("for-signing", cls=RussianCommand)
@click.argument("letter")
@recipients_option
@with_settings
def for_signing(settings: Settings, letter: str, recipients: Path | None) -> None:
    """Записать документы подписанного письма в его папку подписей, чтобы их подписать."""
    from mailer.campaign import for_signing as write_documents
    from mailer.signing import describe

    prepared, result = write_documents(settings, letter, recipients)
    total = len(result.written) + len(result.unchanged)
    click.echo(f"Документов для подписи: {total}, папка: {result.folder}")
    if result.moved:
        click.echo(
            f"Письмо изменилось: прежние версии документов ({len(result.moved)}) и их подписи "
            f"перенесены в {result.earlier}."
        )
    if result.unchanged:
        click.echo(
            f"Уже были там без изменений: {len(result.unchanged)}, из них с подписью: "
            f"{result.signed}."
        )
    assert prepared.letter.certificate is not None
    click.echo(f"Подписывает: {describe(prepared.letter.certificate)}.")
    click.echo(
        "Подпишите каждый документ откреплённой подписью (CMS), не открывая и не пересохраняя "
        "его: файл подписи .sig должен лечь рядом с документом (КриптоАРМ, КриптоПро или "
        "openssl cms -sign). Затем проверьте и отправьте:"
    )
    click.echo(f"  mailer check {letter}\n  mailer send {letter}")


@letter_command
@recipients_option
@sheet_option
@with_settings
def check(settings: Settings, letter: str, recipients: Path | None, sheet: str | None) -> None:
    """Проверить список, шаблоны и оформление документа по ГОСТ Р 7.0.97, ничего не отправляя."""
    from mailer.check import run_check
    from mailer.russian import date_words
    from mailer.send_plan import deadline_warning

    report = run_check(settings, letter, recipients, sheet)
    s = report.letter.settings
    click.echo(f"Письмо: {s.subject}, {report.letter.registration_label}.")
    click.echo(f"Список получателей: {report.recipients}, ошибок нет; шаблоны собираются.")
    if report.letter.deadline:
        note = f" ({report.letter.deadline_note})" if report.letter.deadline_note else ""
        click.echo(f"Срок ответа: {date_words(report.letter.deadline)}{note}")
    warning = deadline_warning(report.letter)
    if warning:
        click.echo(warning)
    checked = (
        "один для всех"
        if report.letter.settings.mode == "list"
        else f"прочитано обратно: {report.documents_checked} из {report.recipients}"
    )
    for line in report.signature:
        click.echo(f"Электронная подпись: {line}.")
    click.echo(f"Проверено в документе ({checked}):")
    for item in report.verified:
        click.echo(f"  – {item};")
    if report.rendered is None:
        click.echo("Вёрстка не проверена: LibreOffice не установлен, страницы не сверстаны.")
    if report.ok:
        click.echo("Замечаний нет: проверенное оформлено по ГОСТ Р 7.0.97-2025.")
        show_next_steps(next_steps.after_check(letter, next_steps.same_list(recipients, sheet)))
        return
    click.echo(f"В оформлении документа есть замечания ({len(report.problems)}):")
    for problem in report.problems:
        click.echo(f"  {problem}")
    raise click.exceptions.Exit(ExitCode.INPUT)
