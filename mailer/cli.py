"""The command line's entry point: the `mailer` group and its options, the settings loaded for
every command, whatever ends a command turned into a message and an exit code, and `main`.

The commands are declared in mailer.commands (parse options, call one use case, print its
result) and registered here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mailer.cli_endings import fail, interrupted, last_resort, output_closed
from mailer.click_ru import RussianGroup

# Only click, the errors, how a command ends and the commands' declarations load at start-up,
# so that `mailer --help` is instant; each command imports the core it needs when it runs.
# (mailer.commands.shared gives Click its Russian words before any option below is built.)
from mailer.commands import journal, prepare, remind, replies, reports, send
from mailer.commands.shared import ORIENTATION
from mailer.errors import ExitCode, MailerError


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


for command in (
    prepare.preview,
    prepare.for_signing,
    prepare.check,
    remind.remind,
    replies.track,
    replies.mark,
    reports.status,
    reports.report,
    reports.letters_command,
    send.send,
    journal.history,
    journal.journal,
):
    cli.add_command(command)


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
