"""Command line: parse options, load settings, call one use case, print its result."""

from __future__ import annotations

import datetime
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mailer import next_steps
from mailer.cli_endings import count_progress, fail, interrupted, last_resort, output_closed
from mailer.click_ru import RussianGroup
from mailer.click_ru import install as install_russian
from mailer.errors import ExitCode, MailerError
from mailer.guard import terminal_text

install_russian()  # before the commands are declared: click.Path names its kind when built

# Only click, the errors and how a command ends load at start-up, so that `mailer --help` is
# instant; each command imports the core it needs.
if TYPE_CHECKING:
    from mailer.journal import ReplyRecord
    from mailer.outbox import SendSummary
    from mailer.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
ORIENTATION = "mailer.orientation"  # ctx.meta: where a command run outside the folder looks


class MailerGroup(RussianGroup):
    """Turns whatever ends a command into a plain message and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except MailerError as error:
            fail(error, ctx)
        except KeyboardInterrupt:
            interrupted(ctx)
        except BrokenPipeError:
            output_closed()
        except BaseException as exc:  # the last resort: never a traceback
            if isinstance(exc, (SystemExit, GeneratorExit)):
                raise
            last_resort(exc, ctx)


def _settings(ctx: click.Context) -> Settings:
    from mailer.settings import Settings

    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def with_settings(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        for line in ctx.meta.get(ORIENTATION, ()):
            click.echo(line, err=True)
        return command(_settings(ctx), *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group(cls=MailerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="ФАЙЛ",
    default=None,
    help="Файл настроек вместо .env в текущей папке.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Подробный журнал работы для ИТ-специалиста (разговор с почтовыми серверами, решения "
    "программы; пароли скрыты) в папке logs/.",
)
@click.option("--debug", is_flag=True, help="При внутренней ошибке показать её подробности.")
@click.version_option(package_name="mailer")
@click.pass_context
def cli(ctx: click.Context, env_file: Path | None, verbose: bool, debug: bool) -> None:
    """Официальные письма по списку: предпросмотр, отправка, журнал.

    ПИСЬМО — имя папки письма в letters/ (например, quality-week) или путь к ней.
    """
    from mailer.settings import load_settings
    from mailer.whereami import orientation, outside_project

    settings = load_settings(env_file)
    ctx.obj = settings
    if outside_project(settings):
        # run from the wrong folder, a command would quietly use defaults: it says where it
        # looks once it runs (not for its --help)
        ctx.meta[ORIENTATION] = orientation(settings, env_file)
    if verbose or settings.verbose:
        from mailer.transcript import start_transcript

        path, stop = start_transcript(settings, ctx.invoked_subcommand or "")
        ctx.call_on_close(stop)
        click.echo(f"Подробный журнал работы: {path}", err=True)


recipients_option = click.option(
    "--recipients",
    "-r",
    type=click.Path(path_type=Path),
    metavar="ФАЙЛ",
    default=None,
    help="Список получателей (CSV или XLSX). По умолчанию — из настроек письма или recipients.csv.",
)
sheet_option = click.option(
    "--sheet",
    metavar="ЛИСТ",
    default=None,
    help="Лист книги Excel со списком (по умолчанию — первый, где есть заголовок).",
)


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
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
    _list_notes(result.list_notes)
    click.echo(f"Готово: письма для {result.count} получателей в папке {result.folder}.")
    click.echo(f"Откройте в браузере: {result.index.resolve().as_uri()}")
    if result.shared_docx_sha256:
        click.echo(f"Один документ для всех; SHA-256 {result.shared_docx_sha256}.")
    click.echo(f"Электронная подпись: {result.signature}.")
    click.echo("Ничего не отправлено.")
    _next_steps(next_steps.after_preview(letter, next_steps.same_list(recipients, sheet)))


@cli.command("for-signing")
@click.argument("letter")
@recipients_option
@with_settings
def for_signing(settings: Settings, letter: str, recipients: Path | None) -> None:
    """Записать документы подписанного письма в его папку подписей, чтобы их подписать."""
    from mailer.signing import describe, run_for_signing

    prepared, result = run_for_signing(settings, letter, recipients)
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


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@recipients_option
@sheet_option
@with_settings
def check(settings: Settings, letter: str, recipients: Path | None, sheet: str | None) -> None:
    """Проверить список, шаблоны и оформление документа по ГОСТ Р 7.0.97, ничего не отправляя."""
    from mailer.check import run_check
    from mailer.russian import date_words

    report = run_check(settings, letter, recipients, sheet)
    s = report.letter.settings
    click.echo(f"Письмо: {s.subject}, {report.letter.registration_label}.")
    click.echo(f"Список получателей: {report.recipients}, ошибок нет; шаблоны собираются.")
    if report.letter.deadline:
        note = f" ({report.letter.deadline_note})" if report.letter.deadline_note else ""
        click.echo(f"Срок ответа: {date_words(report.letter.deadline)}{note}")
    from mailer.campaign import deadline_warning

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
        _next_steps(next_steps.after_check(letter, next_steps.same_list(recipients, sheet)))
        return
    click.echo(f"В оформлении документа есть замечания ({len(report.problems)}):")
    for problem in report.problems:
        click.echo(f"  {problem}")
    raise click.exceptions.Exit(ExitCode.INPUT)


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@click.option(
    "--recipients",
    "-r",
    type=click.Path(path_type=Path),
    metavar="ФАЙЛ",
    default=None,
    help="Не нужен: напоминания идут тем, кому письмо ушло по журналу. Для журналов "
    "старых версий — откуда взять ФИО и обращения получателей.",
)
@sheet_option
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    metavar="ПУТЬ",
    default=None,
    help="Где искать ответы: выгрузка почты вместо почтового ящика (как у track).",
)
@click.option("--skip-track", is_flag=True, help="Не проверять почту: напомнить по журналу.")
@click.option("--yes", "-y", is_flag=True, help="Не спрашивать подтверждения.")
@click.option("--dry-run", is_flag=True, help="Собрать напоминания в папку и ничего не отправлять.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="ПАПКА",
    default=None,
    help="Папка для --dry-run (по умолчанию preview/ИМЯ_ПИСЬМА-напоминания).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Не ждать минимального интервала между письмами (максимум и ответы соблюдаются).",
)
@with_settings
def remind(
    settings: Settings,
    letter: str,
    recipients: Path | None,
    sheet: str | None,
    source: Path | None,
    skip_track: bool,
    yes: bool,
    dry_run: bool,
    out: Path | None,
    force: bool,
) -> None:
    """Напомнить тем, кто получил письмо и не ответил."""
    from mailer.reminders import (
        execute_remind,
        plan_remind,
        preview_remind,
        remind_for_signing,
        verify_remind_signatures,
    )

    plan = plan_remind(
        settings, letter, recipients, source=source, skip_track=skip_track, force=force, sheet=sheet
    )
    if plan.track is not None:
        new = [r for r in plan.track.new if r.kind in ("reply", "bounce")]
        click.echo(f"Почта проверена ({plan.track.source}): новых ответов и возвратов: {len(new)}.")
    else:
        click.echo("Почта не проверялась (--skip-track): решение по данным журнала.")
    click.echo(f"Напоминание: {plan.title}.")
    if plan.skipped:
        click.echo(f"Не получат напоминание ({len(plan.skipped)}):")
        for rid, reason in plan.skipped.items():
            click.echo(f"  {rid}: {terminal_text(reason, limit=500)}")
    if not plan.due:
        click.echo("Напоминать некому.")
        _next_steps(next_steps.after_nothing_to_remind(letter))
        return
    click.echo(f"Получат напоминание ({len(plan.due)}):")
    for item in plan.due:
        again = " (продолжение прерванной отправки)" if item.resume else ""
        click.echo(
            f"  {item.recipient.id}: {_one_line(item.recipient.full_name)} "
            f"<{', '.join(item.recipient.emails)}>, напоминание {item.sequence}{again}"
        )
    if dry_run:
        index = preview_remind(plan, out)
        click.echo(f"Пробный запуск: напоминания собраны в {index.parent}, ничего не отправлено.")
        click.echo(f"Откройте в браузере: {index.resolve().as_uri()}")
        signing = remind_for_signing(plan)
        if signing is not None:
            click.echo(
                f"Письмо подписывается: напоминания для подписи записаны в {signing.folder}. "
                "Подпишите их откреплённой подписью (.sig рядом с документом) в тот же день, "
                "которым они датированы."
            )
        _next_steps(next_steps.after_remind_dry_run(letter))
        return
    verify_remind_signatures(plan)
    _confirm("Отправить напоминания?", yes)
    from mailer.progress import SendProgress

    with SendProgress(len(plan.due), sys.stderr, verb="Напоминаний отправлено") as progress:
        summary = execute_remind(plan, progress=count_progress(progress))
    _report_sending(
        settings, summary, "Напоминаний отправлено", then=next_steps.after_sending(letter)
    )


KIND_TITLES = {
    "reply": "Ответы",
    "auto_reply": "Автоответы (ответом не считаются)",
    "bounce": "Недоставленные (возвраты)",
    "read_receipt": "Уведомления о прочтении",
    "review": "На проверку (не засчитаны: решите сами)",
}


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    metavar="ПУТЬ",
    default=None,
    help="Выгрузка почты вместо почтового ящика: папка Maildir, файл mbox, папка или файл .eml.",
)
@with_settings
def track(settings: Settings, letter: str, source: Path | None) -> None:
    """Найти ответы на письмо в почтовом ящике (IMAP) или в выгрузке почты."""
    from mailer.replies.track import run_track
    from mailer.report.words import MATCHED_BY

    summary = run_track(settings, letter, source)
    stats = summary.stats
    click.echo(
        f"Источник: {summary.source}. Просмотрено писем: {stats.seen}, "
        f"загружено целиком: {stats.bodies_fetched}."
    )
    recipients = summary.recipients
    for kind, title in KIND_TITLES.items():
        records = [r for r in summary.new if r.kind == kind and kind != "review"]
        if not records:
            continue
        click.echo(f"{title}: {len(records)}")
        for record in records:
            who = recipients[record.delivery_id].recipient_id if record.delivery_id else "?"
            how = MATCHED_BY.get(record.matched_by or "", record.matched_by or "")
            extra = (
                f" — {terminal_text(record.detail)}" if record.detail and kind != "reply" else ""
            )
            if kind == "bounce" and record.delivery_id and record.failed_addresses:
                emails = recipients[record.delivery_id].emails
                if {e.lower() for e in emails} - set(record.failed_addresses):
                    extra += " (остальные адреса получателя письмо приняли)"
            files = f", вложений: {len(record.attachments)}" if record.attachments else ""
            click.echo(f"  {who}: {_from_mail(record)} ({how}{files}){extra}")
    if not [r for r in summary.new if r.kind not in ("review", "notice")]:
        click.echo("Новых ответов нет.")
    if summary.large:
        click.echo(
            f"Письма больше {settings.max_message_mb} МБ (MAILER_MAX_MESSAGE_MB) прочитаны "
            "по началу, их вложения не сохранены и остались в почтовом ящике:"
        )
        for where in summary.large:
            click.echo(f"  {terminal_text(where)}")
    if summary.already_recorded:
        click.echo(f"Уже учтены раньше: {summary.already_recorded}.")
    notices = [r for r in summary.new if r.kind == "notice"]
    if notices:
        click.echo(f"Уведомления о доставке (состояние не меняют): {len(notices)}")
        for record in notices:
            who = recipients[record.delivery_id].recipient_id if record.delivery_id else "?"
            click.echo(f"  {who}: {terminal_text(record.detail)}")
    if summary.review:
        click.echo(f"{KIND_TITLES['review']}: {len(summary.review)}")
        for record in summary.review:
            click.echo(f"  № {record.id}: {_from_mail(record)}: {terminal_text(record.detail)}")
    _next_steps(next_steps.after_track(letter, review=bool(summary.review)))


def _from_mail(record: ReplyRecord) -> str:
    """Sender and subject as a message gave them: anything in them may be hostile."""
    return f"{terminal_text(record.sender)} «{terminal_text(record.subject)}»"


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@click.argument("recipient", metavar="[ПОЛУЧАТЕЛЬ]", required=False)
@click.option("--replied", is_flag=True, help="Отметить, что получатель ответил.")
@click.option(
    "--incoming",
    default="",
    metavar="НОМЕР",
    help="С --replied: входящий номер ответа (01-12/3456).",
)
@click.option(
    "--date",
    "answer_date",
    type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]),
    default=None,
    metavar="ДАТА",
    help="С --replied: дата ответа (2023-10-20 или 20.10.2023).",
)
@click.option("--undo", is_flag=True, help="Снять отметку об ответе, сделанную вручную.")
@click.option(
    "--delivered",
    is_flag=True,
    help="Возврат записан ошибочно: письмо дошло (возврат снимается, история остаётся).",
)
@click.option(
    "--not-an-answer",
    is_flag=True,
    help="Письма от получателя, отложенные на проверку, — не ответ (напоминания пойдут).",
)
@click.option(
    "--review",
    "review_id",
    type=int,
    default=None,
    metavar="НОМЕР",
    help="Письмо на проверке с этим номером — ответ получателя ПОЛУЧАТЕЛЬ.",
)
@click.option(
    "--dismiss",
    "dismiss_id",
    type=int,
    default=None,
    metavar="НОМЕР",
    help="Письмо на проверке с этим номером — ничей не ответ (получатель не нужен).",
)
@click.option("--note", default="", metavar="ТЕКСТ", help="Откуда ответ: СЭД, бумага, телефон.")
@with_settings
def mark(
    settings: Settings,
    letter: str,
    recipient: str | None,
    replied: bool,
    incoming: str,
    answer_date: datetime.datetime | None,
    undo: bool,
    delivered: bool,
    not_an_answer: bool,
    review_id: int | None,
    dismiss_id: int | None,
    note: str,
) -> None:
    """Отметить ответ, пришедший не по почте (СЭД, бумага, телефон), снять отметку или
    ошибочный возврат, решить письмо на проверке."""
    from mailer.replies import track
    from mailer.russian import date_numeric

    actions = replied + undo + delivered + not_an_answer
    actions += (review_id is not None) + (dismiss_id is not None)
    if actions != 1:
        raise click.UsageError(
            "Укажите одно из: --replied, --undo, --delivered, --not-an-answer, --review НОМЕР "
            "или --dismiss НОМЕР."
        )
    if (incoming or answer_date) and not replied:
        raise click.UsageError("--incoming и --date указываются вместе с --replied.")
    if dismiss_id is not None:
        item = track.dismiss_review_item(settings, letter, dismiss_id)
        click.echo(f"Письмо на проверке № {dismiss_id} от {item.sender} — не ответ: снято.")
        _next_steps(next_steps.after_mark(letter))
        return
    if recipient is None:
        raise click.UsageError("Укажите получателя: mailer mark ПИСЬМО ID_ПОЛУЧАТЕЛЯ …")
    if review_id is not None:
        item = track.accept_review(settings, letter, review_id, recipient, note)
        click.echo(
            f"Письмо на проверке № {review_id} от {item.sender} засчитано как ответ {recipient}."
        )
        _next_steps(next_steps.after_mark(letter))
        return
    if not_an_answer:
        count = track.dismiss_review(settings, letter, recipient)
        click.echo(f"Писем на проверке от {recipient} снято: {count}.")
        _next_steps(next_steps.after_mark(letter))
        return
    if delivered:
        count = track.mark_delivered(settings, letter, recipient, note)
        if count:
            click.echo(f"Возврат для {recipient} снят: письмо считается доставленным.")
        else:
            click.echo(f"У {recipient} нет записанного возврата: снимать нечего.")
        _next_steps(next_steps.after_mark(letter))
        return
    if replied:
        day = answer_date.date() if answer_date else None
        track.mark_replied(settings, letter, recipient, note, incoming or None, day)
        said = [f"вх. № {incoming}" if incoming else "", f"от {date_numeric(day)}" if day else ""]
        extra = ", ".join(p for p in [*said, note] if p)
        click.echo(f"Отмечено: {recipient} ответил{f' ({extra})' if extra else ''}.")
        if not day:
            click.echo(
                "Дата ответа не указана (--date): в сводке она останется пустой. Чтобы её "
                "добавить, снимите отметку (--undo) и внесите заново с --date."
            )
        _next_steps(next_steps.after_mark(letter))
        return
    count = track.unmark_replied(settings, letter, recipient)
    if count:
        click.echo(f"Отметка об ответе для {recipient} снята.")
    else:
        click.echo(f"У {recipient} нет ответа, отмеченного вручную: снимать нечего.")
    _next_steps(next_steps.after_mark(letter))


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@click.option(
    "--format",
    "output_format",
    metavar="[table|json|csv|xlsx]",
    type=click.Choice(["table", "json", "csv", "xlsx"]),
    default="table",
    show_default=True,
    help="Вид вывода.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="ФАЙЛ",
    default=None,
    help="Записать в файл (для xlsx обязательно).",
)
@click.option("--wide", is_flag=True, help="Все столбцы таблицы, даже если она шире 80 знаков.")
@with_settings
def status(
    settings: Settings, letter: str, output_format: str, output: Path | None, wide: bool
) -> None:
    """Кто получил письмо, кто ответил, кому напомнили, у кого истёк срок."""
    from mailer.report.status_output import status_csv, status_json, status_table
    from mailer.report.summary_xlsx import write_status_xlsx
    from mailer.status import letter_status

    if output_format == "xlsx" and output is None:
        raise click.UsageError("Для --format xlsx укажите файл: --output сводка.xlsx")
    result = letter_status(settings, letter)
    if output_format == "xlsx" and output is not None:
        path = write_status_xlsx(result, output)
        click.echo(f"Сводка записана: {path}")
        return
    if output_format == "table":
        text = status_table(result, wide=wide)
    else:
        text = {"json": status_json, "csv": status_csv}[output_format](result)
    if output is None:
        click.echo(text, nl=False)
        if output_format == "table":
            _next_steps(next_steps.after_status(letter, result.totals()["not_replied"]))
        return
    from mailer.files import write_new_file

    path = write_new_file(output, text.encode("utf-8-sig" if output_format == "csv" else "utf-8"))
    click.echo(f"Записано: {path}")


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="ПАПКА",
    default=Path("reports"),
    show_default=True,
    help="Папка для сводки (XLSX) и справки (DOCX).",
)
@with_settings
def report(settings: Settings, letter: str, out: Path) -> None:
    """Сводка об исполнении для руководителя: таблица Excel и справка Word."""
    from mailer.report import write_report
    from mailer.status import letter_status

    result = letter_status(settings, letter)
    xlsx, docx_path = write_report(result, out)
    totals = result.totals()
    click.echo(
        f"Ответили {totals['replied']} из {totals['sent']}; не ответили {totals['not_replied']}"
        f", срок истёк у {totals['overdue']}; не доставлено {totals['bounced']}."
    )
    click.echo(f"Сводка: {xlsx}")
    click.echo(f"Справка: {docx_path}")
    _next_steps(next_steps.after_report(letter))


@cli.command("letters")
@with_settings
def letters_command(settings: Settings) -> None:
    """Письма в журнале: номер, дата, тема, сколько отправлено."""
    from mailer.journal import journal_exists
    from mailer.status import letters_in_journal

    if not journal_exists(settings):
        click.echo(f"Журнал {Path(settings.db).absolute()} ещё пуст: писем не отправляли.")
        _next_steps(next_steps.before_any_letter())
        return
    rows = letters_in_journal(settings)
    if not rows:
        click.echo("В журнале нет писем.")
        return
    for key, subject, number, date, recipients, sent in rows:
        day = ".".join(reversed(date.split("-")))
        click.echo(f"{key}: № {number} от {day} «{subject}» — отправлено {sent} из {recipients}")
    _next_steps(next_steps.after_letters())


def _list_notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        click.echo(f"В списке: {note}.")


def _confirm(question: str, yes: bool) -> None:
    """Go on only on a clear yes; "no", an unclear answer or the end of input cancel."""
    from mailer.prompt import ask_yes_no

    if yes:
        return
    if not ask_yes_no(question):
        click.echo("Отменено. Ничего не отправлено.")
        raise click.exceptions.Exit(ExitCode.CANCELLED)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@recipients_option
@sheet_option
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
@click.option(
    "--new-version",
    is_flag=True,
    help="Письмо изменилось после отправки: отправить оставшимся исправленную редакцию.",
)
@click.option(
    "--new-address",
    "readdress",
    multiple=True,
    metavar="ID",
    help="Отправить ещё раз получателю, чей адрес в списке исправлен (можно несколько раз).",
)
@with_settings
def send(
    settings: Settings,
    letter: str,
    recipients: Path | None,
    sheet: str | None,
    only: tuple[str, ...],
    yes: bool,
    dry_run: bool,
    resend_uncertain: bool,
    new_version: bool,
    readdress: tuple[str, ...],
) -> None:
    """Отправить письмо получателям через почтовый сервер (SMTP)."""
    from mailer.campaign import execute_send, plan_send, uncertain_hint
    from mailer.render import address
    from mailer.russian import date_words

    plan = plan_send(
        settings,
        letter,
        recipients,
        only,
        resend_uncertain,
        new_version=new_version,
        readdress=readdress,
        sheet=sheet,
    )
    s = plan.letter.settings
    mode = "персонально каждому" if s.mode == "personal" else "один документ «по списку»"
    click.echo(f"Письмо: {s.subject}, {plan.letter.registration_label} ({mode}).")
    if plan.letter.deadline:
        click.echo(f"Срок ответа: {date_words(plan.letter.deadline)}")
    click.echo(
        f"Список: {plan.prepared.recipients.path}, получателей: {len(plan.prepared.recipients)}."
    )
    _list_notes(plan.prepared.recipients.notes)
    from mailer.settings import SECURITY_WORDS

    click.echo(
        f"Сервер: {settings.smtp_host}:{settings.smtp_port_effective} "
        f"({SECURITY_WORDS[settings.smtp_security]}); "
        f"отправитель: {plan.prepared.sender.address}."
    )
    if plan.deadline_warning:
        click.echo(plan.deadline_warning)
    if plan.changes:
        click.echo("Письмо изменилось с прошлой отправки (отправляется новая редакция):")
        for line in plan.changes:
            click.echo(f"  {line}")
    if plan.already_sent:
        click.echo(f"Уже отправлено раньше: {len(plan.already_sent)} (повторно не отправляются).")
    for change in plan.address_changes:
        was = ", ".join(change.old)
        now = ", ".join(change.new)
        why = "письмо по старому адресу не доставлено" if change.bounced else "письмо ушло"
        if change.recipient_id in plan.readdress:
            click.echo(
                f"Адрес {change.recipient_id} исправлен: был {was}, стал {now}; уйдёт снова."
            )
        else:
            click.echo(
                f"Адрес {change.recipient_id} в списке изменился: был {was} ({why}), стал {now}. "
                f"Отправить на новый: mailer send {letter} --new-address {change.recipient_id}"
            )
    stuck = plan.uncertain + plan.interrupted
    if stuck:
        click.echo(
            f"Неизвестно, дошло ли письмо ({len(stuck)}): {', '.join(stuck)}. "
            "Повторно не отправляются без --resend-uncertain."
        )
    if not plan.to_send:
        click.echo("Отправлять нечего.")
        _next_steps(next_steps.after_sending(letter))
        if stuck:
            click.echo(uncertain_hint())
            raise click.exceptions.Exit(ExitCode.INCOMPLETE)
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
        click.echo("Пробный запуск (--dry-run): ничего не отправлено.")
        _next_steps(next_steps.after_dry_run(letter, next_steps.same_list(recipients, sheet)))
        return
    _confirm("Отправить?", yes)
    from mailer.progress import SendProgress

    with SendProgress(len(plan.to_send), sys.stderr) as progress:
        summary = execute_send(plan, progress=count_progress(progress))

    _report_sending(settings, summary, "Отправлено", stuck, then=next_steps.after_sending(letter))


def _report_sending(
    settings: Settings,
    summary: SendSummary,
    sent_title: str,
    stuck: list[str] | None = None,
    then: list[str] | None = None,
) -> None:
    """The end of a sending run: what went, what did not, and the exit code."""
    from mailer.campaign import uncertain_hint

    if summary.recovered:
        click.echo(
            f"Прошлый запуск прервался при передаче писем: {', '.join(summary.recovered)} — "
            "отмечены как «неизвестно, дошло ли»."
        )
    click.echo(f"{sent_title}: {len(summary.sent)}.")
    if summary.copies_stored:
        click.echo(
            f"Копии сохранены в папке «{settings.imap_sent_folder}» почтового ящика: "
            f"{summary.copies_stored}."
        )
    if summary.copy_errors:
        click.echo(
            f"Копии не сохранились в папке «{settings.imap_sent_folder}» "
            f"({len(summary.copy_errors)}): {summary.copy_errors[0]} Письма при этом отправлены."
        )
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
                click.echo(f"  {rid}: {terminal_text(detail)}")
    if summary.uncertain or summary.recovered:
        click.echo(uncertain_hint())
    if summary.failed or summary.deferred:
        click.echo(
            "Запустите ту же команду снова: уйдут только неотправленные письма "
            "(после исправления адресов — и отклонённые)."
        )
    if then:
        _next_steps(then)
    if not summary.complete or summary.recovered or stuck:
        raise click.exceptions.Exit(ExitCode.INCOMPLETE)


@cli.command()
@click.argument("letter", metavar="ПИСЬМО")
@click.argument("recipient", required=False, metavar="ПОЛУЧАТЕЛЬ")
@with_settings
def history(settings: Settings, letter: str, recipient: str | None) -> None:
    """Все изменения по письму (или по одному получателю): когда, что и кто сделал."""
    from mailer.history import EVENT_TITLES, letter_history
    from mailer.report.words import local_time

    for entry in letter_history(settings, letter, recipient):
        title = EVENT_TITLES.get(entry.state, entry.state)
        detail = f": {_one_line(entry.detail)}" if entry.detail else ""
        who = entry.operator or "не записано"
        click.echo(f"{local_time(entry.at)}  {entry.recipient_id}  {title}{detail}  — {who}")


@cli.group(cls=RussianGroup)
def journal() -> None:
    """Журнал рассылок: перенос на сервер PostgreSQL."""


@journal.command("copy")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="Куда: адрес базы PostgreSQL, postgresql://пользователь@сервер:5432/база.",
)
@with_settings
def journal_copy(settings: Settings, target: str) -> None:
    """Скопировать журнал из файла SQLite (MAILER_DB) в базу PostgreSQL и сверить копию.

    Файл журнала не меняется. База должна быть пустой.
    """
    from mailer.journal.copying import copy_journal

    result = copy_journal(settings, target)
    for table, count in result.counts.items():
        click.echo(f"  {table}: {count}")
    click.echo(
        f"Журнал {result.source} скопирован в {result.target} и сверен: число строк и "
        "контрольные суммы всех таблиц совпадают. Файл журнала не изменён."
    )
    click.echo(f"Дальше: укажите в .env MAILER_DB={result.target}")


def _next_steps(lines: list[str]) -> None:
    click.echo("Дальше:")
    for line in lines:
        click.echo(f"  {line}")


def main() -> None:
    """The console script. Click handles its own errors (exit 2); whatever escapes both it and
    the group's handler (an error while Click itself starts) still ends in plain words."""
    try:
        cli.main(prog_name="mailer")
    except (SystemExit, KeyboardInterrupt):
        raise
    except BrokenPipeError:
        try:
            output_closed()
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
    except BaseException as exc:
        from mailer import failsafe

        details = failsafe.write_details(exc, Path("logs"))
        click.echo(
            failsafe.internal_message(exc, details, "Что успело выполниться, есть в журнале."),
            err=True,
        )
        sys.exit(ExitCode.INTERNAL)
