"""What the journal says of a letter: `status`, `report` and `letters`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailer import next_steps
from mailer.click_ru import RussianCommand
from mailer.commands.shared import letter_command, show_next_steps, with_settings

if TYPE_CHECKING:
    from mailer.settings import Settings


@letter_command
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
    from mailer.status import Total, letter_status

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
            show_next_steps(next_steps.after_status(letter, result.totals()[Total.NOT_REPLIED]))
        return
    from mailer.files import write_new_file

    path = write_new_file(output, text.encode("utf-8-sig" if output_format == "csv" else "utf-8"))
    click.echo(f"Записано: {path}")


@letter_command
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
    from mailer.status import Total, letter_status

    result = letter_status(settings, letter)
    xlsx, docx_path = write_report(result, out)
    totals = result.totals()
    click.echo(
        f"Ответили {totals[Total.REPLIED]} из {totals[Total.SENT]}; "
        f"не ответили {totals[Total.NOT_REPLIED]}, срок истёк у {totals[Total.OVERDUE]}; "
        f"не доставлено {totals[Total.BOUNCED]}."
    )
    click.echo(f"Сводка: {xlsx}")
    click.echo(f"Справка: {docx_path}")
    show_next_steps(next_steps.after_report(letter))


@click.command("letters", cls=RussianCommand)
@with_settings
def letters_command(settings: Settings) -> None:
    """Письма в журнале: номер, дата, тема, сколько отправлено."""
    from mailer.journal import journal_exists
    from mailer.status import letters_in_journal

    if not journal_exists(settings):
        click.echo(f"Журнал {Path(settings.db).absolute()} ещё пуст: писем не отправляли.")
        show_next_steps(next_steps.before_any_letter())
        return
    rows = letters_in_journal(settings)
    if not rows:
        click.echo("В журнале нет писем.")
        return
    for key, subject, number, date, recipients, sent in rows:
        day = ".".join(reversed(date.split("-")))
        click.echo(f"{key}: № {number} от {day} «{subject}» — отправлено {sent} из {recipients}")
    show_next_steps(next_steps.after_letters())
